// The report form with JavaScript: the regency/city and district lists follow the choice above them, and the
// submit button is disabled once pressed (the form's idempotency key already makes a second post harmless).
(function () {
  "use strict";
  var form = document.getElementById("formulir-lapor");
  if (!form) { return; }
  var lists = ["provinsi", "kabupaten", "kecamatan"].map(function (name) { return document.getElementById(name); });
  var empty = ["", "Pilih kabupaten/kota", "Pilih kecamatan"];

  function fill(list, regions, prompt) {
    while (list.options.length) { list.remove(0); }
    list.add(new Option(prompt, ""));
    regions.forEach(function (region) { list.add(new Option(region.name, region.code)); });
  }

  lists.slice(0, 2).forEach(function (list, index) {
    list.addEventListener("change", function () {
      var below = lists.slice(index + 1);
      below.forEach(function (other, i) { fill(other, [], i === 0 ? empty[index + 1] : "Pilih kabupaten/kota dahulu"); });
      if (!list.value) { return; }
      fetch("/lapor/wilayah/" + encodeURIComponent(list.value))
        .then(function (answer) { return answer.ok ? answer.json() : []; })
        .then(function (regions) { fill(below[0], regions, empty[index + 1]); })
        .catch(function () { /* the lists stay empty: the report can still name the level above */ });
    });
  });

  form.addEventListener("submit", function (event) {
    var button = document.getElementById("kirim");
    if (event.submitter === button) { button.disabled = true; button.textContent = "Mengirim…"; }
  });
})();
