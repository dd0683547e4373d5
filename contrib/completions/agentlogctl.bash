# bash completion for agentlogctl(1).
# Installed as <datadir>/bash-completion/completions/agentlogctl; or source
# it from ~/.bashrc.  Needs nothing but bash (not the bash-completion
# package).  Keep the lists true to client/ctl: tests/contrib checks them
# against every command's --help.

_agentlogctl_publish="--correlation-id --json --wait --timeout --socket --journal-dir --help"
_agentlogctl_source="--from --brokers --journal-dir --since --until --timeout --help"

# COMPREPLY = compgen's words, one per line (file names may hold spaces;
# bash 3.2, macOS's, has no mapfile).
_agentlogctl_reply()
{
	local words IFS
	words=$(compgen "$@")
	IFS=$'\n'
	# shellcheck disable=SC2206
	COMPREPLY=($words)
}

# The options of one command.
_agentlogctl_opts()
{
	case $1 in
	send)
		echo "--type $_agentlogctl_publish" ;;
	agent-action | log-agent-action)
		echo "--agent --action-type --action-name --details --duration-ms --debug-mode $_agentlogctl_publish" ;;
	routing-decision | log-routing-decision)
		echo "--agent --confidence --strategy --latency-ms --user-request --reasoning --alternatives --context $_agentlogctl_publish" ;;
	transformation | log-transformation)
		echo "--from-agent --to-agent --success --duration-ms --reason --confidence $_agentlogctl_publish" ;;
	performance-metrics | log-performance-metrics)
		echo "--query --duration-ms --cache-hit --candidates --strategy --confidence-components $_agentlogctl_publish" ;;
	status | ping)
		echo "--json --socket --timeout --help" ;;
	trace)
		echo "--format $_agentlogctl_source" ;;
	replay)
		echo "--topic --type --agent --correlation-id --offset --follow --format $_agentlogctl_source" ;;
	journal)
		echo "--journal-dir --from-seq --help" ;;
	hook)
		echo "--agent --no-prompt-text --timeout --socket --journal-dir --verbose --help" ;;
	esac
}

# Whether option $2 of command $1 takes a value.
_agentlogctl_takes_value()
{
	case $2 in
	--json | --wait | --follow | --no-prompt-text | --verbose | --help)
		return 1 ;;
	esac
	case " $(_agentlogctl_opts "$1") " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

_agentlogctl()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local cmd=${COMP_WORDS[1]} i w args=0
	local types="agent_action routing_decision transformation performance_metrics"
	local topics="agent-actions agent-routing-decisions agent-transformation-events router-performance-metrics"
	COMPREPLY=()

	if [ "$COMP_CWORD" -eq 1 ]; then
		_agentlogctl_reply -W "send agent-action log-agent-action
			routing-decision log-routing-decision transformation
			log-transformation performance-metrics log-performance-metrics
			status ping trace replay journal hook --help --version" -- "$cur"
		return 0
	fi

	# The value of the option before the cursor.
	case $prev in
	--socket | --journal-dir)
		_agentlogctl_reply -f -- "$cur"
		return 0 ;;
	--type)
		_agentlogctl_reply -W "$types $topics" -- "$cur"
		return 0 ;;
	--topic)
		_agentlogctl_reply -W "$topics" -- "$cur"
		return 0 ;;
	--action-type)
		_agentlogctl_reply -W "tool_call decision error success" -- "$cur"
		return 0 ;;
	--debug-mode | --success | --cache-hit)
		_agentlogctl_reply -W "true false" -- "$cur"
		return 0 ;;
	--from)
		_agentlogctl_reply -W "journal kafka auto" -- "$cur"
		return 0 ;;
	--format)
		if [ "$cmd" = replay ]; then
			_agentlogctl_reply -W "ndjson table" -- "$cur"
		else
			_agentlogctl_reply -W "table ndjson json" -- "$cur"
		fi
		return 0 ;;
	esac
	if _agentlogctl_takes_value "$cmd" "$prev"; then
		return 0        # a free value: nothing to offer
	fi

	if [[ $cur == -* ]]; then
		_agentlogctl_reply -W "$(_agentlogctl_opts "$cmd")" -- "$cur"
		return 0
	fi

	# Positional words: count those already given.
	for ((i = 2; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == -* ]]; then
			_agentlogctl_takes_value "$cmd" "$w" && ((i++))
		else
			((args++))
		fi
	done
	case $cmd in
	journal)
		[ $args -eq 0 ] && _agentlogctl_reply -W "dump inbox" -- "$cur"
		[ $args -eq 1 ] && [ "${COMP_WORDS[COMP_CWORD-1]}" = inbox ] &&
			_agentlogctl_reply -f -- "$cur" ;;
	hook)
		[ $args -eq 0 ] && _agentlogctl_reply -W "claude-code" -- "$cur" ;;
	send)
		[ $args -eq 0 ] && _agentlogctl_reply -W "-" -- "$cur" ;;
	esac
	return 0
}

complete -F _agentlogctl agentlogctl
