# The runsheet receiver on a remote host, started over `ssh -T` once per run:
# it takes frames from runsheet on stdin, writes each block into a private
# directory and hands its path to the session driver (the same loop as on
# runsheet's own machine), and stops what a block started when asked.
# $1 is the driver with its remote hooks, $2 the run's nonce.
#
# Frames from runsheet, one header line each:
#   B <script bytes> <watch bytes>   a block (and the secret names it watches)
#   F <name> <bytes>                 a file of the private directory (resume)
#   I                                stop the block: INT to the shell, TERM to what it started
#   K                                KILL to what the block started
#   S                                start a new shell (a block ran `exit`)
# To runsheet, on stdout: \036RS<nonce>R\036 once ready, \036RS<nonce>X<status>\036
# when the shell ended, and what the driver and its hooks print.
__rs_driver=$1
__rs_nonce=$2
# mktemp makes the directory 0700: what the blocks run keeps the login's umask.
__rs_dir=$(mktemp -d "${TMPDIR:-/tmp}/runsheet.XXXXXXXXXX") || {
  builtin printf 'runsheet: cannot create a private directory in %s on this host\n' "${TMPDIR:-/tmp}" >&2
  builtin exit 125
}
exec 2>&1
__rs_ticks=100
__rs_started=
__rs_before=
if [[ -r /proc/uptime ]]; then
  __rs_ticks=$(getconf CLK_TCK 2>/dev/null) || __rs_ticks=100
fi

# The shell's process id, once it has written it.
__rs_shell() {
  builtin local n=0
  until [[ -s $__rs_dir/driver.pid ]] || ((n++ > 100)); do sleep 0.01; done
  builtin read -r __rs_pid <"$__rs_dir/driver.pid" 2>/dev/null
}

# Every process under $1.
__rs_descendants() {
  builtin local -A kids
  builtin local -a queue
  builtin local p pp cur
  queue[0]=$1
  while builtin read -r p pp; do kids[$pp]+=" $p"; done < <(ps -e -o pid= -o ppid= 2>/dev/null)
  while ((${#queue[@]})); do
    cur=${queue[0]}
    queue=("${queue[@]:1}")
    for p in ${kids[$cur]-}; do
      builtin printf '%s\n' "$p"
      queue+=("$p")
    done
  done
}

# Now, in clock ticks since boot (the unit of a process's start time in /proc).
__rs_now() {
  builtin local up
  builtin read -r up _ </proc/uptime
  __rs_started=$(( ${up/./} * __rs_ticks / 100 ))
}

# The processes the running block started: under the shell, started after
# the block (by /proc start time; else not there before it), and not one of
# the background jobs earlier blocks left (as the shell listed them) or under one.
__rs_new() {
  builtin local p st spare=" "
  builtin local -a f
  if [[ -s $__rs_dir/jobs ]]; then
    for p in $(<"$__rs_dir/jobs"); do
      spare+="$p $(__rs_descendants "$p" | tr '\n' ' ')"
    done
  fi
  for p in $(__rs_descendants "$1"); do
    [[ $spare == *" $p "* ]] && continue
    if [[ -n $__rs_started ]]; then
      builtin read -r st <"/proc/$p/stat" 2>/dev/null || continue
      f=(${st##*) })
      ((${f[19]:-0} >= __rs_started)) && builtin printf '%s\n' "$p"
    elif [[ " $__rs_before " != *" $p "* ]]; then
      builtin printf '%s\n' "$p"
    fi
  done
}

__rs_stop() {
  __rs_shell || builtin return 0
  [[ $1 == TERM ]] && builtin kill -INT "$__rs_pid" 2>/dev/null
  builtin kill -"$1" $(__rs_new "$__rs_pid") 2>/dev/null
  builtin return 0
}

# A new shell reading from the fifo when to run the next block; when it ends, its
# status goes to runsheet.
__rs_start() {
  exec 3>&-
  rm -f "$__rs_dir/driver.pid"
  {
    bash --noprofile --norc "$__rs_dir/driver.sh" "$__rs_dir" "$__rs_nonce" 3<"$__rs_dir/cmd" </dev/null &
    builtin printf '%s\n' "$!" >|"$__rs_dir/driver.pid"
    builtin wait "$!"
    builtin printf '\036RS%sX%s\036' "$__rs_nonce" "$?"
  } </dev/null &
  exec 3>"$__rs_dir/cmd"
}

# runsheet went away (the run ended, or the connection did): the shell ends
# once the block it runs is over, then what blocks left running in the
# background is stopped, as a closing terminal would, and the directory goes.
__rs_end() {
  __rs_left=
  if __rs_shell; then
    __rs_left=$(__rs_descendants "$__rs_pid")
    exec 3>&-
    while builtin kill -0 "$__rs_pid" 2>/dev/null; do
      sleep 0.2
      __rs_left+=" $(__rs_descendants "$__rs_pid")"
    done
  fi
  if [[ -n ${__rs_left// /} ]]; then
    builtin kill -TERM $__rs_left 2>/dev/null
    sleep 0.2
    builtin kill -KILL $__rs_left 2>/dev/null
  fi
  rm -rf "$__rs_dir"
}
builtin trap __rs_end EXIT
# A closed connection must not kill the receiver before it cleans up; a trap
# (not an ignored signal) is not inherited by what the blocks run.
builtin trap 'builtin :' PIPE

# Exactly $1 bytes of stdin into __rs_text.
__rs_take() {
  builtin local LC_ALL=C
  __rs_text=
  ((${1:-0} > 0)) || builtin return 0
  IFS= builtin read -r -d '' -N "$1" __rs_text
}

mkfifo "$__rs_dir/cmd" || builtin exit 125
# From a file, not `bash -c`: the driver's text would be in every snapshot
# (BASH_EXECUTION_STRING), sent back after every block.
builtin printf '%s' "$__rs_driver" >"$__rs_dir/driver.sh" || builtin exit 125
__rs_start
builtin printf '\036RS%sR\036' "$__rs_nonce"
while IFS=' ' builtin read -r __rs_op __rs_a __rs_b; do
  case $__rs_op in
    B)
      __rs_take "$__rs_a" || break
      builtin printf '%s' "$__rs_text" >|"$__rs_dir/block-0.sh"
      __rs_take "$__rs_b" || break
      builtin printf '%s' "$__rs_text" >|"$__rs_dir/block-0.sh.watch"
      if [[ -r /proc/uptime ]]; then
        __rs_now
      else
        __rs_shell && __rs_before=$(__rs_descendants "$__rs_pid" | tr '\n' ' ')
      fi
      # The driver sources block-0.sh; `w`: it watches the names in block-0.sh.watch.
      if ((__rs_b > 0)); then builtin printf 'w\n'; else builtin printf '\n'; fi >&3
      ;;
    F)
      [[ $__rs_a == */* || $__rs_a == .* ]] && break
      __rs_take "$__rs_b" || break
      builtin printf '%s' "$__rs_text" >|"$__rs_dir/$__rs_a"
      ;;
    I) __rs_stop TERM ;;
    K) __rs_stop KILL ;;
    S) __rs_start ;;
    *) break ;;
  esac
done
