"""``rujukan``: the operator's command line."""
