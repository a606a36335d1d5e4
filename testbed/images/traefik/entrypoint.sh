#!/bin/bash
# The stand-in traefik: nginx serves; this loop reads the swarm services' traefik labels from the Docker API every
# half second and, when they changed, rewrites the routers' server blocks and reloads nginx.
set -uo pipefail
RUN=/run/ccci-traefik
SOCK=/var/run/docker.sock
JQ=/usr/local/share/ccci-traefik/routes.jq
mkdir -p "$RUN"

# traefik's logfmt-like lines
log() { printf 'time="%s" level=%s msg="%s"\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2"; }

# the wildcard certificate from the secrets compose.wildcard.yml mounts; without them traefik serves its own
# self-signed default certificate, and so does this stand-in
if [[ -s /run/secrets/ssl_cert && -s /run/secrets/ssl_key ]]; then
  ln -sf /run/secrets/ssl_cert "$RUN/cert.pem"
  ln -sf /run/secrets/ssl_key "$RUN/key.pem"
  log info "serving the certificate of the ssl_cert and ssl_key secrets: $(openssl x509 -noout -subject -enddate -in /run/secrets/ssl_cert | tr '\n' ' ')"
else
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=TRAEFIK DEFAULT CERT" \
    -keyout "$RUN/key.pem" -out "$RUN/cert.pem" >/dev/null 2>&1
  log warning "no ssl_cert/ssl_key secrets: serving a self-signed default certificate"
fi
: >"$RUN/routes.conf"

nginx -g 'daemon off;' &
nginx_pid=$!
trap 'kill -QUIT "$nginx_pid" 2>/dev/null; wait "$nginx_pid"; exit 0' TERM INT

# render <routes json>: one server block per router on web-secure (web only redirects)
render() {
  jq -r '.[] | select(.problem == null and .secure) |
    "server {\n    listen 443 ssl;\n    server_name \(.hosts | join(" "));\n" +
    (if .internal then "    location / { default_type text/plain; return 200 \"traefik (testbed stand-in)\\n\"; }\n"
     else "    set $backend \"tasks.\(.service)\";\n    location / { proxy_pass http://$backend:\(.port); }\n" end) +
    "}"' <<<"$1"
}

declare -A acme_said=()
last=""
while kill -0 "$nginx_pid" 2>/dev/null; do
  if ! services=$(curl -fsS --max-time 5 --unix-socket "$SOCK" http://localhost/services 2>&1); then
    log error "cannot read the services from the Docker API on $SOCK: $services"
    sleep 2
    continue
  fi
  sum=$(sha256sum <<<"$services")
  if [[ "$sum" != "$last" ]] && routes=$(jq -c -f "$JQ" <<<"$services"); then
    render "$routes" >"$RUN/routes.conf.new"
    if ! cmp -s "$RUN/routes.conf.new" "$RUN/routes.conf"; then
      cp "$RUN/routes.conf" "$RUN/routes.conf.old"
      mv "$RUN/routes.conf.new" "$RUN/routes.conf"
      if out=$(nginx -t -q 2>&1); then
        nginx -s reload
        log info "routers: $(jq -r '[.[] | select(.problem == null and .secure) | "\(.router)=\(.hosts | join(","))"] | join(" ")' <<<"$routes")"
      else
        mv "$RUN/routes.conf.old" "$RUN/routes.conf"
        log error "the new routes do not load, keeping the old ones: $out"
      fi
    fi
    while IFS= read -r line; do
      [[ -n "$line" ]] && log error "skipping router $line"
    done < <(jq -r '.[] | select(.problem != null) | "\(.router) of service \(.service): \(.problem)"' <<<"$routes")
    # the real traefik asks the resolver's ACME server for a certificate; the stand-in only says it was asked
    while IFS=$'\t' read -r router resolver hosts; do
      [[ -n "$router" && -z "${acme_said[$router/$resolver/$hosts]:-}" ]] || continue
      acme_said[$router/$resolver/$hosts]=1
      log error "Unable to obtain ACME certificate for domains \\\"$hosts\\\": router $router asks for certresolver \\\"$resolver\\\" (the testbed's stand-in never contacts an ACME server)"
    done < <(jq -r '.[] | select(.certresolver != "") | [.router, .certresolver, (.hosts | join(","))] | @tsv' <<<"$routes")
    last=$sum
  fi
  sleep 0.5
done
log error "nginx exited"
wait "$nginx_pid"
