-- agentlog-pgwriter schema 1: the seed design's four tables, its gaps fixed.
--
-- Changes from the seed's "Database Schema":
--   * every table has correlation_id UUID NOT NULL (the seed's trace query
--     needs it; three of its four tables lacked it) and event_id UUID NOT
--     NULL UNIQUE, the idempotency key (INSERT ... ON CONFLICT (event_id)
--     DO NOTHING);
--   * created_at is the event's own timestamp (written by the writer, not
--     the time of the insert); inserted_at is the time of the insert, so
--     inserted_at - created_at is the seed's "Processing Latency";
--   * the three tables the seed's trace query filters on
--     context->>'correlation_id' have a context JSONB that always holds the
--     correlation id (plus whatever context the event carried), with an
--     index on that expression;
--   * source holds who sent the event (agentlogd's envelope: pid, uid,
--     gid, host, via);
--   * routing_duration_ms is no longer capped below 1000 ms: a slow routing
--     decision is a fact worth keeping, not an invalid event (see proto/);
--   * indexes on (correlation_id, created_at) and on created_at.
-- The seed's other CHECK constraints are kept as they were.

CREATE TABLE agent_routing_decisions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id UUID NOT NULL UNIQUE,
    correlation_id UUID NOT NULL,
    user_request TEXT,
    selected_agent TEXT NOT NULL,
    confidence_score NUMERIC(5,4) NOT NULL CHECK (confidence_score >= 0 AND confidence_score <= 1),
    alternatives JSONB DEFAULT '[]',
    reasoning TEXT,
    routing_strategy TEXT NOT NULL,
    context JSONB NOT NULL DEFAULT '{}',
    routing_time_ms INTEGER NOT NULL CHECK (routing_time_ms >= 0),
    source JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    inserted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE agent_transformation_events (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id UUID NOT NULL UNIQUE,
    correlation_id UUID NOT NULL,
    source_agent TEXT NOT NULL,
    target_agent TEXT NOT NULL,
    transformation_reason TEXT,
    confidence_score NUMERIC(5,4) CHECK (confidence_score >= 0 AND confidence_score <= 1),
    transformation_duration_ms INTEGER NOT NULL CHECK (transformation_duration_ms >= 0),
    success BOOLEAN NOT NULL DEFAULT true,
    context JSONB NOT NULL DEFAULT '{}',
    source JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    inserted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE router_performance_metrics (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id UUID NOT NULL UNIQUE,
    correlation_id UUID NOT NULL,
    query_text TEXT NOT NULL,
    routing_duration_ms INTEGER NOT NULL CHECK (routing_duration_ms >= 0),
    cache_hit BOOLEAN NOT NULL DEFAULT false,
    trigger_match_strategy TEXT,
    confidence_components JSONB DEFAULT '{}',
    candidates_evaluated INTEGER NOT NULL CHECK (candidates_evaluated >= 0),
    context JSONB NOT NULL DEFAULT '{}',
    source JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    inserted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE agent_actions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id UUID NOT NULL UNIQUE,
    correlation_id UUID NOT NULL,
    agent_name TEXT NOT NULL,
    action_type TEXT NOT NULL CHECK (action_type IN ('tool_call', 'decision', 'error', 'success')),
    action_name TEXT NOT NULL,
    action_details JSONB DEFAULT '{}',
    debug_mode BOOLEAN DEFAULT true,
    duration_ms INTEGER CHECK (duration_ms >= 0),
    source JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    inserted_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX agent_routing_decisions_correlation_id_idx
    ON agent_routing_decisions (correlation_id, created_at);
CREATE INDEX agent_routing_decisions_created_at_idx
    ON agent_routing_decisions (created_at);
CREATE INDEX agent_routing_decisions_context_correlation_id_idx
    ON agent_routing_decisions ((context->>'correlation_id'));

CREATE INDEX agent_transformation_events_correlation_id_idx
    ON agent_transformation_events (correlation_id, created_at);
CREATE INDEX agent_transformation_events_created_at_idx
    ON agent_transformation_events (created_at);
CREATE INDEX agent_transformation_events_context_correlation_id_idx
    ON agent_transformation_events ((context->>'correlation_id'));

CREATE INDEX router_performance_metrics_correlation_id_idx
    ON router_performance_metrics (correlation_id, created_at);
CREATE INDEX router_performance_metrics_created_at_idx
    ON router_performance_metrics (created_at);
CREATE INDEX router_performance_metrics_context_correlation_id_idx
    ON router_performance_metrics ((context->>'correlation_id'));

CREATE INDEX agent_actions_correlation_id_idx
    ON agent_actions (correlation_id, created_at);
CREATE INDEX agent_actions_created_at_idx
    ON agent_actions (created_at);
