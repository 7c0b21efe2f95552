# The runsheet session driver: sources each block at the top level of this loop, so
# that everything a block does (variables, functions, aliases, cwd, options, jobs)
# stays for the next one. $1 is the private state directory, $2 the run's nonce.
# Every command here goes through `builtin`, so a runbook's own `printf` or `cd`
# function cannot hijack the driver.
builtin shopt -s expand_aliases
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
  } >| "$1" 2>/dev/null
}
[[ -s $__rs_dir/base ]] || __rs_snapshot "$__rs_dir/base"
while builtin read -r -u 3 __rs_path; do
  builtin set -o errtrace -o pipefail
  builtin trap '__rs_rc=$?; builtin set +eu; builtin return $__rs_rc 2>/dev/null' ERR
  builtin trap 'builtin return 130 2>/dev/null' INT
  builtin source "$__rs_path" 3<&- 5>&-
  __rs_rc=$?
  builtin trap - ERR
  builtin trap '' INT
  builtin set +eu +o errtrace
  __rs_snapshot "$__rs_dir/state.new"
  builtin printf '\036RS%s:%s\036' "$__rs_nonce" "$__rs_rc" >&5
done
