# The NixOS module `services.cc-ci` (docs/nixos.md): cc-ci.yml rendered from `settings`, the
# secrets handed over as systemd credentials, and the units that `cc-ci host reconcile` writes on
# Debian: cc-ci.service (`serve`), the janitor and prune timers, and a one-shot unit that runs
# `cc-ci host reconcile --profile nixos` for the swarm, the proxy network, traefik and
# backup-bot-two (with a twin that only checks, started by hand). Docker itself comes from
# `virtualisation.docker`.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  inherit (lib)
    mkEnableOption
    mkIf
    mkOption
    optional
    optionalAttrs
    optionalString
    types
    ;

  cfg = config.services.cc-ci;
  settingsFormat = pkgs.formats.yaml { };

  stateDir = "/var/lib/cc-ci";
  hostUnit = "cc-ci-host";

  # Where systemd puts a unit's credentials; fixed, so the config can name a file in it.
  credentialPath = unit: name: "/run/credentials/${unit}.service/${name}";

  # The secrets `cc-ci serve` (and every command that reads the config) takes as systemd
  # credentials: src/config/secret-sources.ts reads $CREDENTIALS_DIRECTORY/<name> when the
  # config key is not set.
  serveSecrets = {
    forge_token = cfg.secrets.forgeTokenFile;
    webhook_secret = cfg.secrets.webhookSecretFile;
    admin_token = cfg.secrets.adminTokenFile;
    alert_webhook_secret = cfg.secrets.alertWebhookSecretFile;
    alert_operator_secret = cfg.secrets.alertOperatorSecretFile;
    drone_token = cfg.secrets.droneTokenFile;
    ingest_secret = cfg.secrets.ingestSecretFile;
    age_identity = cfg.secrets.ageIdentityFile;
  };
  # Only `host reconcile` reads these: the config names them inside its unit's credentials.
  hostSecrets = {
    ssl_key = cfg.secrets.certificateKeyFile;
    restic_password = cfg.secrets.resticPasswordFile;
  };
  loadCredentials =
    secrets:
    lib.mapAttrsToList (name: file: "${name}:${file}") (lib.filterAttrs (_: file: file != null) secrets);

  # What cc-ci needs besides the settings the operator writes; the operator's settings win. The
  # host secrets are named inside the credentials of the unit that reads them, so a unit of its
  # own (the drift check) gets a config of its own.
  settingsFor =
    unit:
    let
      derived = {
        store = stateDir;
        swarm = {
          abraDir = "${stateDir}/abra";
        } // optionalAttrs (cfg.abraPackage != null) { abra = "${cfg.abraPackage}/bin/abra"; };
        host =
          optionalAttrs (cfg.secrets.certificateKeyFile != null) { keyFile = credentialPath unit "ssl_key"; }
          // optionalAttrs (cfg.secrets.resticPasswordFile != null) {
            backup.passwordFile = credentialPath unit "restic_password";
          };
      };
      merged = lib.recursiveUpdate derived cfg.settings;
    in
    if merged.host == { } then removeAttrs merged [ "host" ] else merged;
  settings = settingsFor hostUnit;
  configFile = settingsFormat.generate "cc-ci.yml" settings;
  checkConfigFile = settingsFormat.generate "cc-ci-host-check.yml" (settingsFor "${hostUnit}-check");

  # Seconds in a duration as cc-ci's config writes it ("30s", "10m", "2h", "1d", "250ms", or a
  # bare number of seconds: src/config/duration.ts), rounded up.
  durationSeconds =
    what: value:
    let
      m = builtins.match "([0-9]+(\\.[0-9]+)?) *(ms|s|m|h|d)?" (toString value);
      number = builtins.fromJSON (builtins.head m);
      unit = builtins.elemAt m 2;
      scale =
        {
          ms = 1.0e-3;
          s = 1;
          m = 60;
          h = 3600;
          d = 86400;
        }
        .${if unit == null then "s" else unit};
    in
    if m == null then
      throw "services.cc-ci: ${what} is ${builtins.toJSON value}; expected a duration like \"30s\", \"10m\" or \"2h\""
    else
      builtins.ceil (number * scale);

  teardownSeconds = durationSeconds "settings.runner.teardownBudget" (settings.runner.teardownBudget or "10m");
  drainSeconds = if cfg.drainTimeout == null then 0 else durationSeconds "drainTimeout" cfg.drainTimeout;
  # A stop drains (when asked), then lets the runs tear down within the budget; systemd waits for
  # all of it, plus a margin for the server's own exit, before it kills what is left.
  stopSeconds = drainSeconds + teardownSeconds + 120;

  cli = "${cfg.package}/bin/cc-ci";
  ccci = args: "${cli} ${args} --config ${configFile}";

  # `cc-ci host reconcile --profile nixos`, as root, with the host secrets as credentials.
  hostService =
    { description, args, config }:
    commonService
    // {
      inherit description;
      requires = [ "docker.service" ];
      wants = [ "network-online.target" ];
      after = [
        "docker.service"
        "network-online.target"
      ];
      environment.HOME = "/root";
      serviceConfig = {
        Type = "oneshot";
        ExecStart = "${cli} host reconcile --profile nixos${args} --config ${config}";
        LoadCredential = loadCredentials (serveSecrets // hostSecrets);
      };
    };

  # abra (when given as a package), the docker CLI abra and the operator may call, git for recipes.
  unitPath = [
    config.virtualisation.docker.package
    pkgs.git
    pkgs.openssl
  ] ++ optional (cfg.abraPackage != null) cfg.abraPackage;

  home = if cfg.user == "root" then "/root" else stateDir;
  commonService = {
    path = unitPath;
    environment.HOME = home;
  };
  # The units that run as cfg.user: each makes sure the store exists, owned by that user.
  asUser = {
    User = cfg.user;
    Group = cfg.group;
    StateDirectory = "cc-ci";
    StateDirectoryMode = "0750";
  };

  secretOption =
    credential: what:
    mkOption {
      type = types.nullOr types.str;
      default = null;
      example = "/run/secrets/${credential}";
      description = ''
        A file holding ${what}, such as a sops-nix secret. It is handed over as the systemd
        credential `${credential}` (LoadCredential=), so it can stay readable by root only. A
        string, not a Nix path: a path would be copied into the world-readable Nix store.
      '';
    };

  fileKeys = [
    {
      option = "forgeTokenFile";
      setting = [
        "forge"
        "tokenFile"
      ];
    }
    {
      option = "webhookSecretFile";
      setting = [
        "forge"
        "webhookSecretFile"
      ];
    }
    {
      option = "adminTokenFile";
      setting = [
        "dashboard"
        "adminTokenFile"
      ];
    }
    {
      option = "alertWebhookSecretFile";
      setting = [
        "alerts"
        "webhook"
        "secretFile"
      ];
    }
    {
      option = "alertOperatorSecretFile";
      setting = [
        "alerts"
        "operator"
        "secretFile"
      ];
    }
    {
      option = "droneTokenFile";
      setting = [
        "runner"
        "drone"
        "tokenFile"
      ];
    }
    {
      option = "ingestSecretFile";
      setting = [
        "runner"
        "drone"
        "ingestSecretFile"
      ];
    }
    {
      option = "ageIdentityFile";
      setting = [
        "secrets"
        "ageIdentityFile"
      ];
    }
  ];
in
{
  options.services.cc-ci = {
    enable = mkEnableOption "cc-ci, continuous integration for Co-op Cloud recipes";

    package = mkOption {
      type = types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "The cc-ci package (the flake's module: the flake's package).";
    };

    abraPackage = mkOption {
      type = types.nullOr types.package;
      default = null;
      description = ''
        The abra package. abra is not in nixpkgs: build it (docs/nixos.md has a derivation) and
        give it here; the units get it on PATH and `settings.swarm.abra` points at its bin/abra.
        Leave it null only if `settings.swarm.abra` is an absolute path.
      '';
    };

    settings = mkOption {
      type = settingsFormat.type;
      default = { };
      description = ''
        cc-ci.yml (docs/install.md). `store` (${stateDir}), `swarm.abraDir` (${stateDir}/abra),
        `swarm.abra` (from abraPackage) and the host secrets' paths are filled in unless set here.
        Leave the secret `*File` keys out: the `secrets` options hand them over as credentials.
        Relative paths resolve against the Nix store, so give absolute ones.
      '';
    };

    secrets = {
      forgeTokenFile = secretOption "forge_token" "the forge bot's API token";
      webhookSecretFile = secretOption "webhook_secret" "the forge webhook's HMAC secret";
      adminTokenFile = secretOption "admin_token" "the dashboard's admin token";
      alertWebhookSecretFile = secretOption "alert_webhook_secret" "the signing secret of `alerts.webhook`";
      alertOperatorSecretFile = secretOption "alert_operator_secret" "the signing secret of `alerts.operator`";
      droneTokenFile = secretOption "drone_token" "the Drone API token (`runner.executor: drone`)";
      ingestSecretFile = secretOption "ingest_secret" "the secret runner hosts' ingest credentials derive from";
      ageIdentityFile = secretOption "age_identity" "the age identity that decrypts `.age` files the settings name";
      certificateKeyFile = secretOption "ssl_key" "the key of the wildcard certificate (`settings.host.certFile`)";
      resticPasswordFile = secretOption "restic_password" "the password of backup-bot-two's restic repository";
    };

    user = mkOption {
      type = types.str;
      default = "root";
      description = ''
        The user cc-ci runs as. root by default: a recipe's own tests run as nobody, and only root
        can drop them there (docs/install.md). Another user is created, in the docker group, and
        recipe-local tests then end `error` (TESTS_NOT_RUN).
      '';
    };

    group = mkOption {
      type = types.str;
      default = "root";
      description = "The group cc-ci runs as (created unless root).";
    };

    drainTimeout = mkOption {
      type = types.nullOr types.str;
      default = "30m";
      description = ''
        On a stop (an upgrade, a restart) `serve --drain` starts no new run and lets the running
        ones finish for up to this long before it stops them (docs/operating.md). null: stop them
        at once. The unit's TimeoutStopSec covers this plus `runner.teardownBudget`.
      '';
    };

    janitorSchedule = mkOption {
      type = types.str;
      default = "hourly";
      description = "When `cc-ci janitor` runs (systemd OnCalendar=).";
    };

    pruneSchedule = mkOption {
      type = types.str;
      default = "daily";
      description = "When `cc-ci store prune` runs (systemd OnCalendar=).";
    };

    reconcileHost = mkOption {
      type = types.bool;
      default = true;
      description = ''
        Run `cc-ci host reconcile --profile nixos` (the swarm, the proxy network, traefik and
        backup-bot-two through abra) as the one-shot unit ${hostUnit}.service at boot and on
        every configuration change, before cc-ci.service.
      '';
    };
  };

  config = mkIf cfg.enable {
    assertions = [
      {
        assertion = settings ? swarm && settings.swarm ? server && settings.swarm ? domain;
        message = "services.cc-ci.settings.swarm needs server and domain (docs/install.md)";
      }
      {
        assertion = cfg.abraPackage != null || lib.hasPrefix "/" (settings.swarm.abra or "");
        message = "services.cc-ci: set abraPackage (abra is not in nixpkgs: docs/nixos.md), or settings.swarm.abra to an absolute path";
      }
    ]
    ++ [
      {
        # One word on the command line (serve --drain-timeout), in cc-ci's duration syntax.
        assertion = cfg.drainTimeout == null || builtins.match "[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)?" cfg.drainTimeout != null;
        message = "services.cc-ci.drainTimeout is ${builtins.toJSON cfg.drainTimeout}; expected a duration like \"30m\" or \"2h\"";
      }
    ]
    ++ map (key: {
      assertion = cfg.secrets.${key.option} == null || lib.hasPrefix "/" cfg.secrets.${key.option};
      message = "services.cc-ci.secrets.${key.option} must be an absolute path";
    }) fileKeys
    ++ map (key: {
      assertion = cfg.secrets.${key.option} == null || lib.attrByPath key.setting null cfg.settings == null;
      message =
        "services.cc-ci: both secrets.${key.option} and settings.${lib.concatStringsSep "." key.setting} are set; "
        + "the config key would win and the credential be ignored: keep one";
    }) fileKeys;

    warnings = optional (cfg.user != "root") (
      "services.cc-ci.user is ${cfg.user}: cc-ci cannot drop a recipe's own tests to nobody, "
      + "so recipe-local tests end `error` (TESTS_NOT_RUN); docs/nixos.md"
    );

    # host reconcile initialises a single-node swarm on this engine; dockerd refuses swarm mode
    # while live-restore (NixOS's default) is on.
    virtualisation.docker.enable = true;
    virtualisation.docker.liveRestore = false;

    users.users = optionalAttrs (cfg.user != "root") {
      ${cfg.user} = {
        isSystemUser = true;
        group = cfg.group;
        home = stateDir;
        extraGroups = [ "docker" ];
      };
    };
    users.groups = optionalAttrs (cfg.group != "root") { ${cfg.group} = { }; };

    # For the operator's shell: `cc-ci doctor`, `cc-ci run …` find the same config.
    environment.etc."cc-ci/cc-ci.yml".source = configFile;
    environment.etc."cc-ci/host-check.yml".source = checkConfigFile;
    environment.variables.CCCI_CONFIG = "/etc/cc-ci/cc-ci.yml";
    environment.systemPackages = [ cfg.package ] ++ optional (cfg.abraPackage != null) cfg.abraPackage;

    systemd.services = {
      cc-ci = commonService // {
        description = "cc-ci: the run queue, the dashboard and the forge trigger";
        wantedBy = [ "multi-user.target" ];
        wants = [
          "network-online.target"
          "docker.service"
        ] ++ optional cfg.reconcileHost "${hostUnit}.service";
        after = [
          "network-online.target"
          "docker.service"
        ] ++ optional cfg.reconcileHost "${hostUnit}.service";
        serviceConfig = {
          ExecStart =
            ccci "serve" + optionalString (cfg.drainTimeout != null) " --drain --drain-timeout ${cfg.drainTimeout}";
          # systemctl reload: serve reads the config again and takes forge.repos without a restart.
          ExecReload = "${pkgs.coreutils}/bin/kill -HUP $MAINPID";
          # SIGTERM to serve alone: it drains and tears its runs down itself; the runs' own
          # process groups would stop at once on a SIGTERM of their own.
          KillMode = "mixed";
          TimeoutStopSec = "${toString stopSeconds}s";
          Restart = "on-failure";
          RestartSec = "10s";
          LoadCredential = loadCredentials serveSecrets;
        } // asUser;
      };

      cc-ci-janitor = commonService // {
        description = "cc-ci janitor: reap leftover test apps that no live run owns";
        after = [ "docker.service" ];
        serviceConfig = {
          Type = "oneshot";
          ExecStart = ccci "janitor";
          LoadCredential = loadCredentials serveSecrets;
        } // asUser;
      };

      cc-ci-prune = commonService // {
        description = "cc-ci store prune: old run folders and unused images";
        after = [ "docker.service" ];
        serviceConfig = {
          Type = "oneshot";
          ExecStart = ccci "store prune";
          LoadCredential = loadCredentials serveSecrets;
        } // asUser;
      };

      # Not started by anything: `systemctl start cc-ci-doctor; journalctl -u cc-ci-doctor`
      # checks the host with the same credentials as the server.
      cc-ci-doctor = commonService // {
        description = "cc-ci doctor: check the host against the config";
        after = [ "docker.service" ];
        serviceConfig = {
          Type = "oneshot";
          ExecStart = ccci "doctor";
          LoadCredential = loadCredentials serveSecrets;
        } // asUser;
      };
    }
    // optionalAttrs cfg.reconcileHost {
      # RemainAfterExit, so a changed unit (a new config, a new cc-ci) runs it again on
      # `nixos-rebuild switch`.
      ${hostUnit} = lib.recursiveUpdate (hostService {
        description = "cc-ci host reconcile: swarm, proxy network, traefik and backup-bot-two";
        args = "";
        config = configFile;
      }) {
        wantedBy = [ "multi-user.target" ];
        before = [ "cc-ci.service" ];
        serviceConfig.RemainAfterExit = true;
      };
      # Started by hand (or by monitoring): compares and changes nothing; fails on drift.
      "${hostUnit}-check" = hostService {
        description = "cc-ci host reconcile --check: what differs from the configuration";
        args = " --check";
        config = checkConfigFile;
      };
    };

    systemd.timers = {
      cc-ci-janitor = {
        description = "cc-ci janitor, ${cfg.janitorSchedule}";
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnCalendar = cfg.janitorSchedule;
          Persistent = true;
        };
      };
      cc-ci-prune = {
        description = "cc-ci store prune, ${cfg.pruneSchedule}";
        wantedBy = [ "timers.target" ];
        timerConfig = {
          OnCalendar = cfg.pruneSchedule;
          Persistent = true;
          RandomizedDelaySec = "30min";
        };
      };
    };
  };
}
