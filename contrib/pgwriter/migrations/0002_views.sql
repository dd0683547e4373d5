-- agentlog-pgwriter schema 2: the seed's trace reconstruction and its three
-- monitoring queries as views.

-- One row per event of a correlation id, every type with its key fields,
-- in time order (events of the same millisecond in the seed's logical
-- order: routing, transformation, performance, action).  Query it as
--   SELECT * FROM agent_trace WHERE correlation_id = '...';
-- the condition reaches each table's (correlation_id, created_at) index.
CREATE VIEW agent_trace AS
SELECT correlation_id, created_at, event_type, event_id, agent,
       confidence_score, duration_ms, details
FROM (
    SELECT correlation_id, created_at, 'routing'::text AS event_type,
           event_id, selected_agent AS agent, confidence_score,
           routing_time_ms AS duration_ms,
           jsonb_build_object('user_request', user_request,
                              'routing_strategy', routing_strategy,
                              'reasoning', reasoning,
                              'alternatives', alternatives,
                              'context', context) AS details,
           1 AS step
    FROM agent_routing_decisions
    UNION ALL
    SELECT correlation_id, created_at, 'transformation', event_id,
           target_agent, confidence_score, transformation_duration_ms,
           jsonb_build_object('source_agent', source_agent,
                              'transformation_reason', transformation_reason,
                              'success', success),
           2
    FROM agent_transformation_events
    UNION ALL
    SELECT correlation_id, created_at, 'performance', event_id,
           NULL, NULL, routing_duration_ms,
           jsonb_build_object('query_text', query_text,
                              'cache_hit', cache_hit,
                              'candidates_evaluated', candidates_evaluated,
                              'trigger_match_strategy', trigger_match_strategy,
                              'confidence_components', confidence_components),
           3
    FROM router_performance_metrics
    UNION ALL
    SELECT correlation_id, created_at, 'action', event_id,
           agent_name, NULL, duration_ms,
           jsonb_build_object('action_type', action_type,
                              'action_name', action_name,
                              'action_details', action_details,
                              'debug_mode', debug_mode),
           4
    FROM agent_actions
) AS events
ORDER BY correlation_id, created_at, step, event_id;

-- Routing success rate over the last hour (the seed's first query).
CREATE VIEW routing_success_rate_last_hour AS
SELECT
    COUNT(*) AS total_routes,
    AVG(confidence_score) AS avg_confidence,
    AVG(routing_time_ms) AS avg_routing_time_ms
FROM agent_routing_decisions
WHERE created_at > NOW() - INTERVAL '1 hour';

-- Transformation success rate (the seed's second query).
CREATE VIEW transformation_success_last_hour AS
SELECT
    success,
    COUNT(*) AS count,
    AVG(transformation_duration_ms) AS avg_duration_ms
FROM agent_transformation_events
WHERE created_at > NOW() - INTERVAL '1 hour'
GROUP BY success;

-- Cache effectiveness (the seed's third query).
CREATE VIEW cache_effectiveness_last_hour AS
SELECT
    cache_hit,
    COUNT(*) AS count,
    AVG(routing_duration_ms) AS avg_duration_ms
FROM router_performance_metrics
WHERE created_at > NOW() - INTERVAL '1 hour'
GROUP BY cache_hit;
