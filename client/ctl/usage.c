/*
 * usage.c: messages to the user: usage lines, --help, warnings.
 */
#include <stdarg.h>

#include "ctl.h"
#include "skill.h"

void ctl_warn(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("agentlogctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void ctl_usage(const struct ctl_cmd *cmd, FILE *out, int full)
{
	fprintf(out, "usage: agentlogctl %s\n", cmd->usage);
	if (!full)
		return;
	if (cmd->alias)
		fprintf(out, "(also: agentlogctl %s)\n", cmd->alias);
	fputs(cmd->help, out);
	if (cmd->handler == ctl_cmd_skill)
		ctl_skill_usage(cmd->data, out);
}

int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("agentlogctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctl_usage(cmd, stderr, 0);
	return CTL_USAGE;
}
