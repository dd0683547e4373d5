/*
 * config.c: flags, environment variables and their defaults.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "config.h"
#include "log.h"

static const char config_usage_text[] =
"Usage: agentlog-pgwriter [options]\n"
"\n"
"Consume agentlog's Kafka topics and store every event in PostgreSQL,\n"
"exactly once, in batches; dead-letter what can never be stored.\n"
"\n"
"Kafka:\n"
"  -b, --brokers LIST        bootstrap brokers (KAFKA_BROKERS; localhost:9092)\n"
"  -g, --group ID            consumer group (KAFKA_GROUP_ID; agentlog-pgwriter)\n"
"  -t, --topic TYPE=TOPIC    topic of a type (agent_action, routing_decision,\n"
"                            transformation, performance_metrics); repeatable\n"
"      --dlq-topic TOPIC     dead letters (agent-observability-dlq)\n"
"  -X NAME=VALUE             a librdkafka property for the consumer and the\n"
"                            dead-letter producer (security.protocol=...)\n"
"PostgreSQL:\n"
"  -d, --dsn CONNINFO        conninfo string or postgresql:// URI\n"
"                            (POSTGRES_DSN); replaces the five below\n"
"      --pg-host HOST        POSTGRES_HOST, else PGHOST, else localhost\n"
"      --pg-port PORT        POSTGRES_PORT, else PGPORT, else 5436\n"
"      --pg-database NAME    POSTGRES_DATABASE, else PGDATABASE,\n"
"                            else omninode_bridge\n"
"      --pg-user NAME        POSTGRES_USER, else PGUSER, else postgres\n"
"                            (password: POSTGRES_PASSWORD, else PGPASSWORD\n"
"                            or ~/.pgpass)\n"
"      --migrate             apply the schema migrations and exit\n"
"      --no-migrate          do not apply migrations at start\n"
"Batching:\n"
"      --batch-size N        events per transaction, at most (100)\n"
"      --batch-ms MS         flush a batch this old (1000)\n"
"      --retry-max-ms MS     backoff ceiling while PostgreSQL or Kafka is\n"
"                            down (5000)\n"
"HTTP:\n"
"      --http-listen ADDR    /health, /metrics, /metrics/prometheus on\n"
"                            ADDR (127.0.0.1:8080); 'off' disables\n"
"Other:\n"
"  -v, --verbose             debug logging\n"
"  -h, --help                this text\n"
"  -V, --version             versions\n";

void config_usage(FILE *f)
{
	fputs(config_usage_text, f);
}

enum {
	OPT_DLQ = 256, OPT_PGHOST, OPT_PGPORT, OPT_PGDB, OPT_PGUSER,
	OPT_MIGRATE, OPT_NOMIGRATE, OPT_BATCH, OPT_BATCHMS, OPT_RETRY,
	OPT_HTTP,
};

static const struct option config_options[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "group", required_argument, NULL, 'g' },
	{ "topic", required_argument, NULL, 't' },
	{ "dlq-topic", required_argument, NULL, OPT_DLQ },
	{ "dsn", required_argument, NULL, 'd' },
	{ "pg-host", required_argument, NULL, OPT_PGHOST },
	{ "pg-port", required_argument, NULL, OPT_PGPORT },
	{ "pg-database", required_argument, NULL, OPT_PGDB },
	{ "pg-user", required_argument, NULL, OPT_PGUSER },
	{ "migrate", no_argument, NULL, OPT_MIGRATE },
	{ "no-migrate", no_argument, NULL, OPT_NOMIGRATE },
	{ "batch-size", required_argument, NULL, OPT_BATCH },
	{ "batch-ms", required_argument, NULL, OPT_BATCHMS },
	{ "retry-max-ms", required_argument, NULL, OPT_RETRY },
	{ "http-listen", required_argument, NULL, OPT_HTTP },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* getenv() that treats an empty variable as unset. */
static const char *config_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/*
 * A database setting: the flag (already in *dst), else the seed's
 * variable, else nothing when libpq's own variable is set (libpq reads
 * it), else the seed's default.
 */
static void config_pg(const char **dst, const char *seed_var,
		      const char *pg_var, const char *dflt)
{
	if (*dst)
		return;
	*dst = config_env(seed_var);
	if (!*dst && !(pg_var && config_env(pg_var)))
		*dst = dflt;
}

/* A positive integer flag value, or -1. */
static int config_int(const char *name, const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > max) {
		fprintf(stderr, "agentlog-pgwriter: --%s: expected an integer "
			"in 1..%d, got '%s'\n", name, max, s);
		return -1;
	}
	return (int)v;
}

/* --topic TYPE=TOPIC */
static int config_topic(struct config *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char type[32];
	int t;

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(type) ||
	    !eq[1])
		goto bad;
	memcpy(type, arg, (size_t)(eq - arg));
	type[eq - arg] = '\0';
	t = row_type_lookup(type);
	if (t < 0)
		goto bad;
	c->topics[t] = eq + 1;
	return 0;
bad:
	fprintf(stderr, "agentlog-pgwriter: --topic: expected TYPE=TOPIC "
		"with TYPE one of agent_action, routing_decision, "
		"transformation, performance_metrics; got '%s'\n", arg);
	return -1;
}

static void config_version(void)
{
	printf("agentlog-pgwriter %s (librdkafka %s, libpq %d, cJSON %s)\n",
	       AGENTLOG_VERSION, rd_kafka_version_str(), PQlibVersion(),
	       cJSON_Version());
}

/* Defaults and the environment, after the flags. */
static void config_finish(struct config *c)
{
	if (!c->brokers)
		c->brokers = config_env("KAFKA_BROKERS");
	if (!c->brokers)
		c->brokers = "localhost:9092";
	if (!c->group)
		c->group = config_env("KAFKA_GROUP_ID");
	if (!c->group)
		c->group = "agentlog-pgwriter";
	for (int t = 0; t < ROW_TYPE_COUNT; t++)
		if (!c->topics[t])
			c->topics[t] = row_tables[t].topic;
	if (!c->dlq_topic)
		c->dlq_topic = "agent-observability-dlq";
	if (!c->dsn)
		c->dsn = config_env("POSTGRES_DSN");
	if (!c->dsn) {
		config_pg(&c->pg_host, "POSTGRES_HOST", "PGHOST", "localhost");
		config_pg(&c->pg_port, "POSTGRES_PORT", "PGPORT", "5436");
		config_pg(&c->pg_database, "POSTGRES_DATABASE", "PGDATABASE",
			  "omninode_bridge");
		config_pg(&c->pg_user, "POSTGRES_USER", "PGUSER", "postgres");
	}
	/* Never a flag: it would show in ps. */
	c->pg_password = config_env("POSTGRES_PASSWORD");
	if (c->http_listen && strcmp(c->http_listen, "off") == 0)
		c->http_listen = NULL;
}

enum config_result config_parse(struct config *c, int argc, char **argv)
{
	int opt;

	memset(c, 0, sizeof(*c));
	c->batch_size = 100;
	c->batch_ms = 1000;
	c->retry_max_ms = 5000;
	c->http_listen = "127.0.0.1:8080";
	while ((opt = getopt_long(argc, argv, "b:g:t:X:d:vhV", config_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'b': c->brokers = optarg; break;
		case 'g': c->group = optarg; break;
		case 't':
			if (config_topic(c, optarg) < 0)
				return CONFIG_USAGE;
			break;
		case 'X':
			if (c->nkprops == CONFIG_MAX_KPROPS ||
			    !strchr(optarg, '=')) {
				fprintf(stderr, "agentlog-pgwriter: -X: expected "
					"NAME=VALUE (at most %d)\n",
					CONFIG_MAX_KPROPS);
				return CONFIG_USAGE;
			}
			c->kprops[c->nkprops++] = optarg;
			break;
		case OPT_DLQ: c->dlq_topic = optarg; break;
		case 'd': c->dsn = optarg; break;
		case OPT_PGHOST: c->pg_host = optarg; break;
		case OPT_PGPORT: c->pg_port = optarg; break;
		case OPT_PGDB: c->pg_database = optarg; break;
		case OPT_PGUSER: c->pg_user = optarg; break;
		case OPT_MIGRATE: c->migrate_only = 1; break;
		case OPT_NOMIGRATE: c->no_migrate = 1; break;
		case OPT_BATCH:
			c->batch_size = config_int("batch-size", optarg, 10000);
			if (c->batch_size < 0)
				return CONFIG_USAGE;
			break;
		case OPT_BATCHMS:
			c->batch_ms = config_int("batch-ms", optarg, 3600000);
			if (c->batch_ms < 0)
				return CONFIG_USAGE;
			break;
		case OPT_RETRY:
			c->retry_max_ms = config_int("retry-max-ms", optarg,
						     600000);
			if (c->retry_max_ms < 0)
				return CONFIG_USAGE;
			break;
		case OPT_HTTP: c->http_listen = optarg; break;
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'h':
			config_usage(stdout);
			return CONFIG_EXIT;
		case 'V':
			config_version();
			return CONFIG_EXIT;
		default:
			config_usage(stderr);
			return CONFIG_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "agentlog-pgwriter: unexpected argument '%s'\n",
			argv[optind]);
		config_usage(stderr);
		return CONFIG_USAGE;
	}
	if (c->migrate_only && c->no_migrate) {
		fprintf(stderr, "agentlog-pgwriter: --migrate and --no-migrate "
			"exclude each other\n");
		return CONFIG_USAGE;
	}
	config_finish(c);
	return CONFIG_OK;
}
