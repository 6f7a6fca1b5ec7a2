#!/usr/bin/env bash
# Create or update the Secrets a Guichet namespace needs, from an env file
# made from overlays/dev/secrets.example.env (that file lists the mapping).
#
#   deploy/k8s/create-secrets.sh NAMESPACE ENV_FILE           # apply them
#   deploy/k8s/create-secrets.sh NAMESPACE ENV_FILE --print   # only print YAML
#
# Values go through files in a private temporary directory, never on a
# command line. Safe to run again: existing Secrets are updated in place.
set -euo pipefail

usage() { echo "usage: $0 NAMESPACE ENV_FILE [--print]" >&2; exit 2; }
if [ $# -lt 2 ] || [ $# -gt 3 ]; then usage; fi
namespace=$1
env_file=$2
print_only=false
if [ $# -eq 3 ]; then
    [ "$3" = "--print" ] || usage
    print_only=true
fi
[ -r "$env_file" ] || { echo "cannot read $env_file" >&2; exit 1; }

# key in the env file -> Secret name and the key inside it
declare -A secret_of=(
    [TICKETING_DATABASE_URL]=guichet-ticketing-db
    [GARAGE_DATABASE_URL]=guichet-garage-db
    [IMAGING_DATABASE_URL]=guichet-imaging-db
    [NOTIFIER_DATABASE_URL]=guichet-notifier-db
    [GUICHET_AMQP_URL]=guichet-amqp
    [GUICHET_JWT_SECRET]=guichet-jwt
)
declare -A key_of=(
    [TICKETING_DATABASE_URL]=url
    [GARAGE_DATABASE_URL]=url
    [IMAGING_DATABASE_URL]=url
    [NOTIFIER_DATABASE_URL]=url
    [GUICHET_AMQP_URL]=url
    [GUICHET_JWT_SECRET]=secret
)

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
chmod 700 "$workdir"

# Read KEY=value lines; the value is everything after the first '='.
declare -A value_of=()
while IFS= read -r line || [ -n "$line" ]; do
    case $line in ''|'#'*) continue ;; esac
    name=${line%%=*}
    [ "$name" != "$line" ] || { echo "not KEY=value: $line" >&2; exit 1; }
    [ -n "${secret_of[$name]+set}" ] || { echo "unknown key in $env_file: $name" >&2; exit 1; }
    value_of[$name]=${line#*=}
done < "$env_file"

for name in "${!secret_of[@]}"; do
    value=${value_of[$name]-}
    if [ -z "$value" ] || [[ $value == *CHANGE-ME* ]]; then
        echo "$name is missing or still CHANGE-ME in $env_file" >&2
        exit 1
    fi
done

for name in $(printf '%s\n' "${!secret_of[@]}" | sort); do
    file="$workdir/${key_of[$name]}"
    printf '%s' "${value_of[$name]}" > "$file"
    manifest=$(kubectl create secret generic "${secret_of[$name]}" \
        --namespace "$namespace" --from-file="${key_of[$name]}=$file" \
        --dry-run=client -o yaml \
        | kubectl label --local -f - -o yaml \
            app.kubernetes.io/part-of=guichet)
    rm -f "$file"
    if $print_only; then
        printf -- '---\n%s\n' "$manifest"
    else
        printf '%s\n' "$manifest" | kubectl apply -f -
    fi
done
