-- The W3C trace context of the call that queued a delivery: each attempt at it joins that
-- trace, so a caller following its traceparent sees its message reach Slack. NULL when the
-- call was not traced (traces not exported): the attempt then starts a trace of its own.
ALTER TABLE deliveries ADD COLUMN traceparent text;
ALTER TABLE deliveries ADD COLUMN tracestate text;
