# The routers of traefik's docker provider in swarm mode, read from GET /services: one object per router of a
# service labelled traefik.enable=true. Names that could break the generated nginx config are dropped (and said).
def safe_host: test("^[A-Za-z0-9*][A-Za-z0-9.-]*$");
def hosts_of: [scan("Host\\(([^)]*)\\)") | .[0] | scan("`([^`]*)`") | .[0]];
[ .[]
  | .Spec.Name as $svc
  | (.Spec.Labels // {}) as $l
  | select($l["traefik.enable"] == "true")
  | ($l | to_entries | map(select(.key | test("^traefik\\.http\\.services\\.[^.]+\\.loadbalancer\\.server\\.port$")))) as $ports
  | $l | to_entries[]
  | select(.key | test("^traefik\\.http\\.routers\\.[^.]+\\.rule$"))
  | (.key | capture("^traefik\\.http\\.routers\\.(?<r>[^.]+)\\.rule$").r) as $r
  | .value as $rule
  | ($l["traefik.http.routers.\($r).service"] // "") as $named
  | (if $named != "" then [$ports[] | select(.key == "traefik.http.services.\($named).loadbalancer.server.port")]
     else $ports end) as $p
  | {
      router: $r,
      service: $svc,
      rule: $rule,
      hosts: ($rule | hosts_of),
      secure: (($l["traefik.http.routers.\($r).entrypoints"] // "") as $e | $e == "" or ($e | split(",") | index("web-secure") != null)),
      internal: ($named | endswith("@internal")),
      port: (if ($p | length) == 1 then $p[0].value else "" end),
      certresolver: ($l["traefik.http.routers.\($r).tls.certresolver"] // "")
    }
  | .problem = (
      if (.hosts | length) == 0 then "its rule names no Host(`...`)"
      elif (.hosts | all(safe_host) | not) then "a host name in its rule is not a DNS name"
      elif (.service | test("^[A-Za-z0-9_.-]+$") | not) then "the service name is not a DNS name"
      elif (.internal | not) and (.port | test("^[0-9]{1,5}$") | not) then "no single traefik.http.services.<s>.loadbalancer.server.port"
      else null end)
]
