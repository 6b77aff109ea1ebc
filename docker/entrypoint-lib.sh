# shellcheck shell=bash
# Functions shared by the image entrypoints; sourced, never run.

# file_env NAME: Docker-secrets style. When NAME_FILE names a file, NAME is set to its content
# (trailing newlines dropped) and exported. Both set is an error: which one wins would be a guess.
file_env() {
  local name=$1
  local file_name="${name}_FILE"
  local file=${!file_name:-}
  [ -n "$file" ] || return 0
  if [ -n "${!name:-}" ]; then
    echo "entrypoint: both $name and $file_name are set; set one of them" >&2
    return 1
  fi
  if [ ! -r "$file" ]; then
    echo "entrypoint: $file_name: cannot read $file" >&2
    return 1
  fi
  local value
  value=$(<"$file")
  export "$name=$value"
  unset "$file_name"
}
