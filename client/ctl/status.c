/*
 * status.c: agentlogctl status: the daemon's figures, human-readable.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "ctl.h"
#include "jsonout.h"

/* Print one member as "  prefix.key  value", recursing into objects. */
static void status_print(const cJSON *it, const char *prefix, int depth)
{
	char name[256];
	const cJSON *c;

	snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "",
		 it->string ? it->string : "");
	if (cJSON_IsObject(it) && depth < 8) {
		cJSON_ArrayForEach(c, it)
			status_print(c, it->string ? name : prefix, depth + 1);
		return;
	}
	printf("%-32s ", name);
	if (cJSON_IsString(it))
		jsonout_str(stdout, it->valuestring, strlen(it->valuestring), 0);
	else if (cJSON_IsNumber(it) && it->valuedouble == (double)(long long)it->valuedouble)
		printf("%lld", (long long)it->valuedouble);
	else {
		char *s = cJSON_PrintUnformatted(it);
		fputs(s ? s : "?", stdout);
		free(s);
	}
	fputc('\n', stdout);
}

int ctl_cmd_status(const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct ctl_request_opts o = { 0 };
	char *reply = NULL;
	cJSON *j;
	int n;

	if ((n = ctl_request_parse(cmd, &o, argc, argv)) >= 0)
		return n;
	n = ctl_request(&o, ".status", &reply);
	if (n < 0) {
		free(reply);
		return CTL_FAIL;
	}
	if (o.json) {
		printf("%s\n", reply);
	} else if ((j = cJSON_Parse(reply))) {
		status_print(j, "", 0);
		cJSON_Delete(j);
	} else {
		printf("%s\n", reply);
	}
	free(reply);
	return CTL_OK;
}
