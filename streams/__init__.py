"""Stream processors (faust): intake, lifecycle and routing, dispatch to agency inboxes, deadlines."""
