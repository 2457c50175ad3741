"""The agent's Prometheus metrics: what runs did (counters and histograms fed by run events)
and what the agent holds now (gauges read at scrape time), served on `/metrics`."""
