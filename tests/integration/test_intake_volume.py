"""Volume: 10,000 reports through the web API and the intake processor all arrive on the log, none twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import aiohttp

from schemas import codec
from tests.support import TopicReader
from tests.support.channels import (
    read_to_end,
    start,
    start_http,
    wait_until_consumed,
    web_report,
)

REPORTS = 10_000
CONCURRENCY = 64


async def _submit_all(base: str) -> list[dict]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(REPORTS):
        queue.put_nowait(n)
    answers: list[dict] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            n = queue.get_nowait()
            async with session.post(f"{base}/api/v1/complaints", json=web_report(f"volume-report-{n:06d}")) as response:
                assert response.status == 202, await response.text()
                answers.append(await response.json())

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(CONCURRENCY)))
    return answers


def test_ten_thousand_web_reports_all_arrive_once(settings, shared_topics, run_process):
    base = start_http(run_process, settings)
    start(run_process, settings, "intake")
    answers = asyncio.run(_submit_all(base))
    assert len({a["complaint_id"] for a in answers}) == REPORTS
    assert len({a["tracking_id"] for a in answers}) == REPORTS

    intake = TopicReader(settings, shared_topics.intake)
    intake.wait_for_count(REPORTS)
    wait_until_consumed(settings, "intake", intake, timeout=120)

    headers = [codec().decode(m.value).record["header"] for m in read_to_end(settings, shared_topics.complaint_events)]
    per_complaint = Counter(header["complaint_id"] for header in headers)
    assert set(per_complaint) == {a["complaint_id"] for a in answers}
    assert set(per_complaint.values()) == {1}
    assert {h["tracking_id"] for h in headers} == {a["tracking_id"] for a in answers}
