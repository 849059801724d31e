# bash completion for cachify(1): subcommands, their options, and after
# `lock/once/pool/cached KEY` (and `--`) the guarded command with its own
# completion. Installed by `make install` into bash-completion's directory.

_cachify()
{
	local cur prev words cword
	_init_completion || return

	local global='-s --socket -u --url --prefix --name -h --help --version'
	local cmds='lock once pool cached get set del ttl is-locked release ping info metrics raw locks status help'
	local keyopts='--no-prefix --cached --lock --once --pool'
	local i cmd= cmdi=0

	# Find the subcommand, skipping global options and their arguments.
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		-s | --socket | -u | --url | --prefix | --name) ((i++)) ;;
		-*) ;;
		*) cmd=${words[i]}; cmdi=$i; break ;;
		esac
	done

	case $prev in
	-s | --socket)
		[[ $cmd == lock ]] || { _filedir; return; } ;;
	-u | --url | --prefix | --name | --token | --ttl | -t | -w | --timeout | --wait | -E | \
	--conflict-exit-code | --hit-exit-code)
		return ;;
	--on-lost)
		COMPREPLY=($(compgen -W 'fail warn kill' -- "$cur"))
		return ;;
	-c | --command)
		return ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$global" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		fi
		return
	fi

	local opts npos=1
	case $cmd in
	lock) opts='-s --shared -n --nonblock -w --timeout -E --conflict-exit-code -t --ttl -v --verbose -c --command --on-lost --socket' ;;
	pool) opts='-n --nonblock -w --timeout -E --conflict-exit-code -t --ttl -v --verbose -c --command --on-lost'; npos=2 ;;
	once) opts='-n --nonblock -E --conflict-exit-code -v --verbose -c --command' ;;
	cached) opts='--ttl --force --reset --discard-failures --hit-exit-code -v --verbose -c --command' ;;
	get | del | ttl) opts=$keyopts; npos=0 ;;
	set) opts="$keyopts --ttl --nx"; npos=0 ;;
	is-locked) opts='--once -v --verbose'; npos=0 ;;
	release) opts='--once --token'; npos=0 ;;
	info) opts='--json'
		[[ $cur != -* ]] && COMPREPLY=($(compgen -W 'server clients memory stats locks pools keyspace commandstats errorstats all' -- "$cur"))
		;;
	locks | status) opts='--json'; npos=0 ;;
	raw) opts='--raw --no-raw'; npos=0 ;;
	help)
		COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
		return ;;
	*) npos=0 ;;
	esac

	# lock/once/pool/cached: after the options and KEY (and SIZE), a command.
	if ((npos > 0)); then
		local n=0
		for ((i = cmdi + 1; i < cword; i++)); do
			case ${words[i]} in
			--) _command_offset $((i + 1)); return ;;
			-w | --timeout | --wait | -E | --conflict-exit-code | -t | --ttl | --on-lost | \
			--hit-exit-code | --socket | --prefix | --name | -u | --url) ((i++)) ;;
			-s) [[ $cmd == lock ]] || ((i++)) ;;
			-c | --command) return ;;
			-*) ;;
			*)
				((n++))
				if ((n > npos)); then
					_command_offset $i
					return
				fi ;;
			esac
		done
		if ((n == npos)) && [[ $cur != -* ]]; then
			_command_offset $cword
			return
		fi
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts -h --help --prefix --name -u --url" -- "$cur"))
	fi
}
complete -F _cachify cachify
