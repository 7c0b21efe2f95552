# The runsheet session driver: sources each block at the top level of this loop, so
# that everything a block does (variables, functions, aliases, cwd, options, jobs)
# stays for the next one. $1 is the private state directory, $2 the run's nonce,
# $3 how many times to look for the next block before waiting for it (below).
#
# Each line on fd 3 starts a block: the block is the file block-0.sh of the state
# directory, written anew for each one; a line `w` says block-0.sh.watch names
# secret variables to watch in it. The line is a byte or two, as bash reads a
# pipe one byte at a time. After the block the shell state goes to fd 6
# (runsheet reads it there and keeps it when it changed), or on a remote host
# to the file state.new; bash writes it a line at a time, so the driver keeps
# no function of its own while it is taken (`declare -f` would list it); then the status goes to fd 5, the session's output:
# \036RS<nonce>:<exit>:<saved>:<jobs>:<cwd>\036, <jobs> 1 once a background job was
# started (runsheet then lists the shell's children before each block), <cwd>
# empty unless the block took the shell's directory away (below).
# Every command here goes through `builtin`, so a runbook's own `printf` or `cd`
# function cannot hijack the driver.
#
# Tracing: a block's own `set -x` must never trace the driver, which handles the
# state directory, the status nonce and secret values. The driver turns it off
# as soon as a block ends, and its hook runs inside `{ ...; } 2>/dev/null` with
# it off; a block that leaves it on gets it back at the first command of the
# next block, so tracing still carries over from block to block as it would in
# one terminal. (`set -v` echoes what bash reads: the blocks, and the text of
# the driver's traps when they run, never a value.)
builtin shopt -s expand_aliases
# A hangup is runsheet's to handle (it stops the block and saves): the
# session survives it, and what a block runs still gets the default action.
builtin trap 'builtin :' HUP
__rs_dir=$1
__rs_nonce=$2
__rs_spin=${3:-0}
__rs_pending=
# Set before the first snapshot, so that the second is not a change.
__rs_saved=1
__rs_cwd=
__rs_frames=
# The driver's own text, quoted into every snapshot otherwise.
builtin unset -v BASH_EXECUTION_STRING
builtin set --
exec 5>&1
# The snapshot after each block goes to runsheet's pipe (fd 6) here, to a
# file on a remote host (its hooks send it back).
__rs_to=$__rs_dir/state.new
# The shell state: the commands of snapshot.sh, written in wherever the
# driver takes one when it is loaded, so that they are parsed once with the
# loop instead of at every block from a variable that every snapshot would
# also list.
# The first snapshot, before any block.
[[ -s $__rs_dir/base ]] || { @SNAPSHOT@ } >|"$__rs_dir/base" 2>/dev/null
# The DEBUG trap of a block that needs one, before each of its commands: turns
# tracing back on at the block's first command when the block before left it
# on, and, for a block that names secret variables, adds a value one of them
# took since to `seen` (each ends in a NUL, which no value holds), so runsheet
# masks it in what the block prints next. Runs untraced: it reads the values.
__rs_path=$__rs_dir/block-0.sh
# Before waiting for the next block, the shell looks for it __rs_spin times
# (each look a `read -t 0`, a few microseconds): runsheet sends it within
# about a tenth of a millisecond of the status, and a shell that went to
# sleep at once would have to be woken, which on a virtual machine whose
# processor went idle costs more than the looking. 0 (runsheet on one
# processor, where looking would only keep runsheet from running) waits at
# once. __rs_rc counts, as it is set anew after the block. The wait itself
# has a timeout of its own (about three years), so that a TMOUT the
# environment or a block sets (hardened hosts export a read-only one) does not
# end the session while the operator is at a prompt.
while
  __rs_rc=$__rs_spin
  while (( __rs_rc-- > 0 )) && ! builtin read -t 0 -u 3; do builtin :; done
  builtin read -r -t 99999999 -u 3 __rs_op
do
  builtin set -o errtrace -o pipefail
  builtin trap '{ __rs_rc=$?; builtin set +eu; } 2>/dev/null; { builtin return $__rs_rc; } 2>/dev/null' ERR
  builtin trap '{ builtin return 130; } 2>/dev/null' INT
  __rs_hooked=
  if [[ $__rs_op == w || -n $__rs_pending ]]; then
    __rs_names=()
    [[ $__rs_op == w ]] && builtin mapfile -t __rs_names <"$__rs_path.watch"
    builtin declare -gA __rs_seen
    __rs_seen=()
    __rs_debug=$(builtin trap -p DEBUG)
    # `source` keeps a DEBUG trap only under functrace; it is put back after.
    [[ $- == *T* ]] && __rs_hooked=T || __rs_hooked=1
    builtin set -T
    __rs_skip=1
    # Defined only while such a block runs: `declare -f` lists every
    # function in every snapshot, and the driver keeps none of its own there.
    __rs_hook() {
      builtin local __rs_f=$- __rs_n
      builtin set +x
      if [[ -n $__rs_skip ]]; then
        # This run is for the driver's own `source`, not yet the block.
        __rs_skip=
      elif [[ -n $__rs_pending ]]; then
        __rs_f+=$__rs_pending
        __rs_pending=
      fi
      for __rs_n in "${__rs_names[@]}"; do
        if [[ -v $__rs_n && ${__rs_seen[$__rs_n]-} != "${!__rs_n}" ]]; then
          __rs_seen[$__rs_n]=${!__rs_n}
          builtin printf '%s\0' "${!__rs_n}" >>"$__rs_dir/seen" || builtin :
        fi
      done
      [[ $__rs_f == *x* ]] && builtin set -x
      builtin return 0
    }
    builtin trap '{ __rs_hook; } 2>/dev/null' DEBUG
  fi
  builtin source "$__rs_path" 3<&- 5>&- 6>&-
  # From here to the status, untraced and with what the driver's own commands
  # might say thrown away: one redirection for all of it. It sends them to
  # fd 3, the command pipe's reading end, where a write fails and is lost as
  # it would be in /dev/null, without opening /dev/null after every block.
  {
    __rs_rc=$? __rs_now=$-
    builtin set +x
    if [[ -n $__rs_hooked ]]; then
      builtin trap - DEBUG
      [[ $__rs_hooked == T ]] || builtin set +T
      builtin eval "$__rs_debug"
      builtin unset __rs_seen __rs_debug __rs_names
      builtin unset -f __rs_hook
    fi
    # A block that never reached its first command changed nothing: what was
    # pending stays so.
    if [[ -z $__rs_pending && $__rs_now == *x* ]]; then
      __rs_pending=x
    fi
    builtin trap - ERR
    builtin trap '' INT
    builtin set +eu +o errtrace
    # The snapshot keeps the block's options, tracing included (for a
    # resume), and is taken with its own trace thrown away.
    [[ $__rs_pending == *x* ]] && builtin set -x
    if [[ -n ${__rs_remote-} ]]; then
      { @SNAPSHOT@ } >|"$__rs_to"
    else
      { @SNAPSHOT@ } >&6
    fi && __rs_saved=1 || __rs_saved=0
    builtin set +x
    # The shell's directory, when the block took it away: `m` nothing is at
    # $PWD any more (removed, moved), `o` $PWD names another directory than
    # the one the shell is in (removed and made again, a link switched).
    # Two stats, and a third only when they differ; no process.
    if [[ -z ${PWD-} || . -ef $PWD ]]; then
      __rs_cwd=
    elif [[ -d $PWD ]]; then
      __rs_cwd=o${PWD//$'\036'/?}
    else
      __rs_cwd=m${PWD//$'\036'/?}
    fi
  } 2>&3
  # On a remote host the state goes back to runsheet with the status, in one
  # write (ssh/hooks.sh puts it in __rs_frames).
  [[ -z ${__rs_remote-} ]] || __rs_sync
  builtin printf '%s\036RS%s:%s:%s:%s:%s\036' "${__rs_frames-}" "$__rs_nonce" "$__rs_rc" "$__rs_saved" "${!:+1}" "$__rs_cwd" >&5
  __rs_frames=
done
