# The shell state after a block, as the session driver writes it (see
# driver.sh, which has it written in where it takes one): variables,
# functions, aliases, an empty section (options need none: SHELLOPTS and
# BASHOPTS hold them), umask and directory. Last, the end mark: a snapshot cut
# short (a full disk) lacks it, and is not taken.
builtin declare -p
builtin printf "\036\n"
builtin declare -f
builtin printf "\036\n"
builtin alias -p
builtin printf "\036\n\036\n"
builtin umask
builtin printf "%s\n\036end\n" "$PWD"
