#!/usr/bin/env bash
# The baseline of bench/harness-overhead: the install of one recipe scripted by hand with the
# same abra and docker steps cc-ci runs (clone, app new, env, secrets, chaos deploy, wait,
# health, screenshot, undeploy, wait, rm, sweep). Usage: hand-install.sh <recipe> <repo> <ref> <workdir>
set -euo pipefail
recipe=$1 repo=$2 ref=$3 work=$4
abra="$(cd "$(dirname "$0")/.." && pwd)/testbed/bin/abra"
export ABRA_DIR="$work/abra"
mkdir -p "$ABRA_DIR/recipes"
ln -sfn /var/lib/cc-ci-testbed/abra/servers "$ABRA_DIR/servers"
domain="hand-$(od -An -N3 -tx1 /dev/urandom | tr -d " \n").ci.test"; stack=${domain//./_}
git clone -q --no-checkout "$repo" "$ABRA_DIR/recipes/$recipe"
git -C "$ABRA_DIR/recipes/$recipe" checkout -q --detach "origin/$ref"
"$abra" app new "$recipe" --server default --domain "$domain" --chaos --offline -n >/dev/null
env="$ABRA_DIR/servers/default/$domain.env"
sed -i 's/^LETS_ENCRYPT_ENV=.*/LETS_ENCRYPT_ENV=/' "$env"
sed -i "s/^DOMAIN=.*/DOMAIN=$domain/" "$env"
# abra answers "no secrets generated" (exit 1) for a recipe without secrets: not an error here.
"$abra" app secret generate "$domain" --all --chaos --offline --machine -n >/dev/null || true
"$abra" app deploy "$domain" --chaos --force --no-converge-checks --no-domain-checks --offline -n >/dev/null
# Wait until every service is at its desired replicas, as one would by hand.
until docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Replicas}}' \
      | awk -F/ 'BEGIN{ok=0} {n++; split($2,d," "); if ($1+0 != d[1]+0) bad=1} END{exit !(n>0 && !bad)}'; do
  sleep 0.25
done
# Then, as `docker service update` does, verify the tasks stay up for Swarm's update monitor (5 s).
sleep 5
docker service ls --filter "label=com.docker.stack.namespace=$stack" --format '{{.Replicas}}' \
  | awk -F/ '{split($2,d," "); if ($1+0 != d[1]+0) exit 1}'
# Over HTTPS with the testbed's CA, as cc-ci does: curl with --cacert, Chromium with an NSS database
# that trusts it in a HOME of its own.
ca=/var/lib/cc-ci-testbed/tls/ca.pem
curl -fsS -o /dev/null --cacert "$ca" --resolve "$domain:8443:127.0.0.1" "https://$domain:8443/"
mkdir -p "$work/home/.pki/nssdb"
certutil -d "sql:$work/home/.pki/nssdb" -N --empty-password
certutil -d "sql:$work/home/.pki/nssdb" -A -n ingress-ca -t C,, -i "$ca"
HOME="$work/home" chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --no-first-run --host-resolver-rules="MAP $domain 127.0.0.1" --window-size=1280,800 \
  --screenshot="$work/hand.png" "https://$domain:8443/" >/dev/null 2>&1
"$abra" app undeploy "$domain" -n >/dev/null
while [ -n "$(docker ps -aq --filter "label=com.docker.stack.namespace=$stack")$(docker service ls -q --filter "label=com.docker.stack.namespace=$stack")" ]; do
  sleep 0.2
done
"$abra" app rm "$domain" --force -n >/dev/null
docker volume ls -q --filter "label=com.docker.stack.namespace=$stack" | xargs -r docker volume rm >/dev/null
docker network ls -q --filter "label=com.docker.stack.namespace=$stack" | xargs -r docker network rm >/dev/null
