# bash completion for supctl: commands, options, job names and signal names.
# Commands come from `supctl --help` (so a newer supctl completes its new commands), job
# names from the first column of `supctl status`, asked of the same supd (--socket is passed
# on when the command line has one). Needs nothing from the bash-completion package.

_supctl_commands() {
  local out
  out=$("$1" --help 2>/dev/null | awk '
    /^Commands:/ { on = 1; next }
    on && /^  [a-z]/ { print $1; if (match($0, /\(or [a-z-]+\)/)) print substr($0, RSTART + 4, RLENGTH - 5) }
    on && /^[^ ]/ { on = 0 }')
  [ -n "$out" ] || out="status list stats top start stop restart signal pid logs events reload graph run persist remove why inspect export doctor upgrade bridge shutdown help"
  printf '%s\n' $out
}

_supctl_jobs() {
  local bin=$1; shift
  "$bin" "$@" status 2>/dev/null | awk 'NR > 1 && NF > 0 { print $1 }'
}

_supctl() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=""
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
  local bin=${COMP_WORDS[0]}
  local globals="--socket --json --timeout --host --help --version"
  COMPREPLY=()

  case $prev in
    --socket) COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --timeout|--expect|-n|--lines|--host|-H) return 0 ;;
  esac

  # The command, the socket to ask, and the positional arguments so far.
  local i word cmd="" socket=() args=() dashdash=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if [ $dashdash -eq 1 ]; then args+=("$word"); continue; fi
    case $word in
      --) [ -n "$cmd" ] && dashdash=1 ;;
      --socket) socket=(--socket "${COMP_WORDS[i+1]}"); ((i++)) ;;
      --socket=*) socket=(--socket "${word#--socket=}") ;;
      --host|-H) socket+=(--host "${COMP_WORDS[i+1]}"); ((i++)) ;;  # job names from that host
      --timeout|--expect|-n|--lines) ((i++)) ;;
      -*) ;;
      *) if [ -z "$cmd" ]; then cmd=$word; else args+=("$word"); fi ;;
    esac
  done

  if [ -z "$cmd" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$globals" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(_supctl_commands "$bin")" -- "$cur"))
    fi
    return 0
  fi

  if [[ $cur == -* && $dashdash -eq 0 ]]; then
    local opts=""
    case $cmd in
      start|stop|restart|remove) opts="--no-wait" ;;
      signal) opts="--group --expect" ;;
      logs) opts="-n --lines -f --follow --stderr --reopen" ;;
      events) opts="-f --follow" ;;
      reload) opts="--dry-run" ;;
      shutdown) opts="--leave-running" ;;
      doctor) opts="--strict" ;;
      top) opts="--once" ;;
    esac
    COMPREPLY=($(compgen -W "$opts $globals" -- "$cur"))
    return 0
  fi

  case $cmd in
    export)
      if [ ${#args[@]} -eq 0 ]; then COMPREPLY=($(compgen -W "systemd" -- "$cur"))
      else COMPREPLY=($(compgen -W "all $(_supctl_jobs "$bin" "${socket[@]}")" -- "$cur")); fi ;;
    status|list|stats|graph|pid|logs|events|why|inspect|persist|remove)
      [ ${#args[@]} -eq 0 ] || [[ $cmd == status || $cmd == list || $cmd == stats || $cmd == graph ]] || return 0
      COMPREPLY=($(compgen -W "$(_supctl_jobs "$bin" "${socket[@]}")" -- "$cur")) ;;
    start|stop|restart)
      COMPREPLY=($(compgen -W "all $(_supctl_jobs "$bin" "${socket[@]}")" -- "$cur")) ;;
    signal)
      if [ ${#args[@]} -eq 0 ]; then
        COMPREPLY=($(compgen -W "$(_supctl_jobs "$bin" "${socket[@]}")" -- "$cur"))
      elif [ ${#args[@]} -eq 1 ]; then
        COMPREPLY=($(compgen -W "HUP INT QUIT ABRT KILL USR1 USR2 PIPE ALRM TERM CHLD CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS RTMIN RTMAX" -- "${cur^^}"))
      fi ;;
    run)
      [ $dashdash -eq 1 ] && COMPREPLY=($(compgen -c -- "$cur")) ;;
    help)
      [ ${#args[@]} -eq 0 ] && COMPREPLY=($(compgen -W "$(_supctl_commands "$bin")" -- "$cur")) ;;
  esac
  return 0
}

complete -F _supctl supctl
