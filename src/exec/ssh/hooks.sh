# Remote hooks of the session driver, put in front of it on a remote host: after
# each block the driver sends the files runsheet keeps on this machine (the
# state snapshots, secret values the block set) back with its status, as frames
# runsheet takes out of the output: \036RS<nonce>F<name> <bytes>\036<content>;
# and lists its background jobs for the receiver, which spares them when it
# stops a block.
__rs_remote=1
__rs_send() {
  builtin local LC_ALL=C
  builtin local -a __rs_t
  [[ -s $__rs_dir/$1 ]] || builtin return 0
  builtin mapfile -d '' __rs_t <"$__rs_dir/$1"
  __rs_frames+=$'\036'RS$__rs_nonce"F$1 ${#__rs_t[0]}"$'\036'${__rs_t[0]}
}
# The snapshot, unless it is the one sent last (runsheet keeps that one).
__rs_send_changed() {
  builtin local LC_ALL=C
  builtin local -a __rs_now __rs_was
  builtin mapfile -d '' __rs_now <"$__rs_dir/state.new"
  [[ -s $__rs_dir/state.sent ]] && builtin mapfile -d '' __rs_was <"$__rs_dir/state.sent"
  [[ ${__rs_now[0]-} == "${__rs_was[0]-}" ]] && builtin return 0
  __rs_frames+=$'\036'RS$__rs_nonce"Fstate.new ${#__rs_now[0]}"$'\036'${__rs_now[0]}
  builtin printf '%s' "${__rs_now[0]}" >|"$__rs_dir/state.sent"
}
# Runs after the snapshot, before the status: what it adds to __rs_frames goes
# out with the status (and is gone before the next snapshot).
__rs_sync() {
  __rs_frames=
  # Background jobs so far: what stopping the next block spares.
  builtin jobs -p >|"$__rs_dir/jobs" 2>/dev/null
  if [[ -z ${__rs_base_sent-} ]]; then
    __rs_send base
    __rs_base_sent=1
  fi
  [[ $__rs_saved == 1 ]] && __rs_send_changed
  if [[ -s $__rs_dir/seen ]]; then
    __rs_send seen
    builtin : >|"$__rs_dir/seen"
  fi
  builtin return 0
}
