# The runsheet session driver: sources each block at the top level of this loop, so
# that everything a block does (variables, functions, aliases, cwd, options, jobs)
# stays for the next one. $1 is the private state directory, $2 the run's nonce.
# Every command here goes through `builtin`, so a runbook's own `printf` or `cd`
# function cannot hijack the driver.
builtin shopt -s expand_aliases
# A hangup is runsheet's to handle (it stops the block and saves): the
# session survives it, and what a block runs still gets the default action.
builtin trap 'builtin :' HUP
__rs_dir=$1
__rs_nonce=$2
builtin set --
exec 5>&1
__rs_snapshot() {
  {
    builtin declare -p
    builtin printf '\036\n'
    builtin declare -f
    builtin printf '\036\n'
    builtin alias -p
    builtin printf '\036\n'
    # Options need no listing of their own: SHELLOPTS and BASHOPTS above hold them.
    builtin printf '\036\n'
    builtin umask
    builtin printf '%s\n' "$PWD"
    # Last: a snapshot cut short (a full disk) lacks it, and is not taken.
    builtin printf '\036end\n'
  } >| "$1" 2>/dev/null
}
# Before each command of a block that names secret variables: a value one of
# them took since is added to `seen` (each ends in a NUL, which no value holds),
# so runsheet masks it in what the block prints next, in the same block.
__rs_watch() {
  builtin local __rs_n
  for __rs_n in "${__rs_names[@]}"; do
    if [[ -v $__rs_n && ${__rs_seen[$__rs_n]-} != "${!__rs_n}" ]]; then
      __rs_seen[$__rs_n]=${!__rs_n}
      builtin printf '%s\0' "${!__rs_n}" >>"$__rs_dir/seen" || builtin :
    fi
  done
  builtin return 0
}
[[ -s $__rs_dir/base ]] || __rs_snapshot "$__rs_dir/base"
while builtin read -r -u 3 __rs_path; do
  builtin set -o errtrace -o pipefail
  builtin trap '__rs_rc=$?; builtin set +eu; builtin return $__rs_rc 2>/dev/null' ERR
  builtin trap 'builtin return 130 2>/dev/null' INT
  __rs_watching=
  if [[ -s $__rs_path.watch ]]; then
    builtin mapfile -t __rs_names <"$__rs_path.watch"
    builtin declare -gA __rs_seen
    __rs_debug=$(builtin trap -p DEBUG)
    # `source` keeps a DEBUG trap only under functrace; it is put back after.
    [[ $- == *T* ]] && __rs_watching=T || __rs_watching=1
    builtin set -T
    builtin trap __rs_watch DEBUG
  fi
  builtin source "$__rs_path" 3<&- 5>&-
  __rs_rc=$?
  if [[ -n $__rs_watching ]]; then
    builtin trap - DEBUG
    [[ $__rs_watching == T ]] || builtin set +T
    builtin eval "$__rs_debug"
    builtin unset __rs_names __rs_seen __rs_debug
  fi
  builtin trap - ERR
  builtin trap '' INT
  builtin set +eu +o errtrace
  __rs_snapshot "$__rs_dir/state.new" && __rs_saved=1 || __rs_saved=0
  # On a remote host the state goes back to runsheet with the status, in one
  # write (ssh/hooks.sh puts it in __rs_frames).
  [[ -z ${__rs_remote-} ]] || __rs_sync
  builtin printf '%s\036RS%s:%s:%s\036' "${__rs_frames-}" "$__rs_nonce" "$__rs_rc" "$__rs_saved" >&5
  __rs_frames=
done
