//! Which commands of which tools destroy data or infrastructure: a table of
//! subcommands and flags, and the tools whose rules need more than that.

use super::args::Args;

/// When a command of a tool in the table is destructive.
enum When {
    /// Always (`dropdb`, `mkfs`).
    Always,
    /// Its first positional word is one of these (`helm uninstall`).
    First(&'static [&'static str]),
    /// Any positional word is one of these (`gcloud compute instances delete`).
    Any(&'static [&'static str]),
    /// Its positional words start with these, in order (`flask db downgrade`).
    Starts(&'static [&'static str]),
    /// One of these long flags is there (`pg_restore --clean`).
    Flag(&'static [&'static str]),
}

/// `(program names, when, what to call it)`.
#[rustfmt::skip]
const TABLE: &[(&[&str], When, &str)] = &[
    // Databases and their data.
    (&["dropdb"], When::Always, "dropdb"),
    (&["dropuser"], When::Always, "dropuser"),
    (&["pg_dropcluster"], When::Always, "pg_dropcluster"),
    (&["pg_resetwal", "pg_resetxlog"], When::Always, "pg_resetwal"),
    (&["mysqladmin"], When::Any(&["drop"]), "mysqladmin drop"),
    (&["mongorestore"], When::Flag(&["--drop"]), "mongorestore --drop"),
    (&["supabase"], When::Starts(&["db", "reset"]), "supabase db reset"),
    (&["heroku"], When::First(&["pg:reset", "apps:destroy", "addons:destroy"]), "heroku destroy/reset"),
    (&["influx"], When::Any(&["delete"]), "influx delete"),
    (&["etcdctl"], When::First(&["del"]), "etcdctl del"),
    (&["consul"], When::Starts(&["kv", "delete"]), "consul kv delete"),
    (&["vault"], When::Any(&["delete", "destroy", "disable"]), "vault delete/destroy"),
    (&["rabbitmqctl"], When::First(&["delete_queue", "purge_queue", "reset", "force_reset", "delete_vhost"]), "rabbitmqctl delete/purge/reset"),
    (&["kafka-topics", "kafka-topics.sh"], When::Flag(&["--delete"]), "kafka-topics --delete"),
    // Schema migrations run backwards.
    (&["flask"], When::Starts(&["db", "downgrade"]), "migration downgrade/reset"),
    (&["alembic"], When::First(&["downgrade"]), "migration downgrade/reset"),
    (&["rails", "rake"], When::First(&["db:drop", "db:reset", "db:rollback", "db:migrate:down", "db:migrate:redo", "db:schema:load", "db:purge", "db:structure:load", "db:seed:replant"]), "migration downgrade/reset"),
    (&["knex"], When::First(&["migrate:rollback", "migrate:down"]), "migration downgrade/reset"),
    (&["sequelize", "sequelize-cli"], When::First(&["db:migrate:undo", "db:migrate:undo:all", "db:drop"]), "migration downgrade/reset"),
    (&["prisma"], When::Starts(&["migrate", "reset"]), "migration downgrade/reset"),
    (&["typeorm"], When::First(&["migration:revert", "schema:drop"]), "migration downgrade/reset"),
    (&["goose"], When::Any(&["down", "reset", "down-to"]), "migration downgrade/reset"),
    (&["migrate"], When::Any(&["down", "drop"]), "migration downgrade/reset"),
    (&["dbmate"], When::First(&["down", "rollback", "drop"]), "migration downgrade/reset"),
    (&["flyway"], When::Any(&["clean"]), "migration downgrade/reset"),
    (&["liquibase"], When::Any(&["rollback", "rollbackCount", "rollback-count", "rollbackToDate", "dropAll", "drop-all"]), "migration downgrade/reset"),
    (&["diesel"], When::Any(&["revert", "redo", "reset"]), "migration downgrade/reset"),
    (&["sqlx"], When::Any(&["revert", "drop", "reset"]), "migration downgrade/reset"),
    (&["atlas"], When::Starts(&["schema", "clean"]), "migration downgrade/reset"),
    (&["mix"], When::First(&["ecto.drop", "ecto.rollback", "ecto.reset"]), "migration downgrade/reset"),
    (&["django-admin"], When::First(&["flush", "reset_db"]), "django flush"),
    // Files and disks.
    (&["shred"], When::Always, "shred"),
    (&["wipefs"], When::Always, "wipefs"),
    (&["mkfs", "mke2fs", "mkswap", "mkfs.ext2", "mkfs.ext3", "mkfs.ext4", "mkfs.xfs", "mkfs.btrfs", "mkfs.vfat", "mkfs.fat", "mkfs.ntfs", "mkfs.f2fs"], When::Always, "mkfs"),
    (&["blkdiscard"], When::Always, "blkdiscard"),
    (&["sgdisk"], When::Flag(&["--zap-all", "--zap", "--clear", "--delete", "-Z", "-z", "-o", "-d"]), "disk partitioning"),
    (&["parted"], When::Any(&["mklabel", "mktable", "rm"]), "disk partitioning"),
    (&["cryptsetup"], When::Any(&["luksFormat", "erase", "luksErase"]), "cryptsetup format/erase"),
    (&["mdadm"], When::Flag(&["--zero-superblock"]), "mdadm --zero-superblock"),
    (&["zfs", "zpool"], When::First(&["destroy"]), "zfs destroy"),
    (&["lvremove", "vgremove", "pvremove"], When::Always, "LVM remove"),
    (&["rclone"], When::First(&["purge", "delete", "deletefile", "rmdir", "rmdirs", "sync"]), "rclone purge/delete/sync"),
    (&["s3cmd"], When::First(&["del", "rm", "rb"]), "s3cmd delete"),
    (&["mc"], When::First(&["rb"]), "mc rb"),
    (&["restic"], When::First(&["forget"]), "backup forget/prune"),
    (&["borg"], When::First(&["prune", "delete"]), "backup forget/prune"),
    // Clusters, clouds and hosts.
    (&["terraform", "tofu", "terragrunt"], When::Any(&["destroy"]), "terraform destroy"),
    (&["pulumi"], When::First(&["destroy"]), "pulumi destroy"),
    (&["cdk"], When::First(&["destroy"]), "cdk destroy"),
    (&["serverless", "sls"], When::First(&["remove"]), "serverless remove"),
    (&["vagrant"], When::First(&["destroy"]), "vagrant destroy"),
    (&["eksctl", "kind", "minikube", "k3d", "doctl", "hcloud", "linode-cli", "openstack", "multipass", "lxc", "incus", "gh", "glab"], When::Any(&["delete", "purge"]), "cloud delete"),
    (&["argocd", "flux", "velero", "wrangler", "skaffold", "nomad", "tkn", "kn"], When::Any(&["delete", "purge"]), "cloud delete"),
    (&["vercel", "netlify"], When::Any(&["remove", "rm", "sites:delete"]), "cloud delete"),
    (&["firebase"], When::Any(&["firestore:delete", "database:remove", "hosting:disable", "projects:delete", "functions:delete"]), "cloud delete"),
    (&["fly", "flyctl"], When::Any(&["destroy"]), "fly destroy"),
    (&["virsh"], When::First(&["destroy", "undefine"]), "virsh destroy/undefine"),
    (&["kubeadm"], When::First(&["reset"]), "cluster reset"),
    (&["k3s", "rke2"], When::Flag(&["--cluster-reset"]), "cluster reset"),
    (&["k3s-uninstall.sh", "rke2-uninstall.sh", "k3s-agent-uninstall.sh"], When::Always, "cluster uninstall"),
    (&["microk8s"], When::First(&["reset"]), "cluster reset"),
    (&["istioctl"], When::Any(&["uninstall"]), "istioctl uninstall"),
    (&["gcloud"], When::Any(&["delete"]), "gcloud delete"),
    (&["gsutil"], When::First(&["rm", "rb"]), "gsutil rm/rb"),
    (&["gcloud"], When::Starts(&["storage", "rm"]), "gsutil rm/rb"),
    (&["az"], When::Any(&["delete", "delete-batch", "purge"]), "az delete"),
    (&["ceph"], When::Any(&["delete", "rm", "purge"]), "ceph delete"),
    (&["rbd"], When::First(&["rm", "remove", "purge"]), "rbd rm"),
    (&["npm"], When::First(&["unpublish"]), "npm unpublish"),
    // Hosts.
    (&["userdel", "deluser"], When::Always, "userdel"),
    (&["ufw"], When::First(&["reset"]), "firewall flush/reset"),
];

/// Programs with rules of their own in `check`, beside the table's.
const OWN_RULES: &[&str] = &[
    "rm",
    "find",
    "dd",
    "truncate",
    "mv",
    "rsync",
    "pg_restore",
    "redis-cli",
    "crontab",
    "iptables",
    "ip6tables",
    "iptables-legacy",
    "iptables-nft",
    "nft",
    "curl",
    "http",
    "https",
    "xh",
    "wget",
    "kubectl",
    "oc",
    "kubecolor",
    "helm",
    "terraform",
    "tofu",
    "terragrunt",
    "git",
    "aws",
    "docker",
    "podman",
    "nerdctl",
    "docker-compose",
    "podman-compose",
    "gcloud",
    "az",
    "snap",
    "npm",
    "yarn",
    "pnpm",
    "bun",
];

/// Every program some rule is about: a block that names none of them (and
/// no SQL or disk device) has nothing for the guard to find.
pub fn names() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .flat_map(|(names, _, _)| names.iter().copied())
        .chain(OWN_RULES.iter().copied())
}

/// What `name` with `args` destroys, by the table and the tools' own rules.
pub fn check(name: &str, args: Args, note: &mut dyn FnMut(&str)) {
    for (names, when, what) in TABLE {
        if !names.contains(&name) {
            continue;
        }
        let hit = match when {
            When::Always => true,
            When::First(words) => args
                .positionals()
                .first()
                .is_some_and(|p| words.contains(p)),
            When::Any(words) => args.positionals().iter().any(|p| words.contains(p)),
            When::Starts(words) => args.positionals().starts_with(words),
            When::Flag(flags) => flags
                .iter()
                .any(|f| args.has(f) || (f.len() == 2 && args.short(f.as_bytes()[1] as char))),
        };
        if hit {
            note(what);
        }
    }
    let positionals = args.positionals();
    let first = positionals.first().copied().unwrap_or("");
    match name {
        "rm" if args.short('r') || args.short('R') || args.has("--recursive") => note("rm -r"),
        "find" if args.word("-delete") => note("find -delete"),
        "dd" if args
            .0
            .iter()
            .any(|a| a.strip_prefix("of=").is_some_and(is_device)) =>
        {
            note("dd to a device");
        }
        "truncate"
            if args
                .value(&["-s", "--size"])
                .is_some_and(|v| v.trim_start_matches('=') == "0") =>
        {
            note("truncate -s 0");
        }
        "mv" => {
            let sources: &[&str] = if args.value(&["-t", "--target-directory"]).is_some() {
                &positionals
            } else {
                &positionals[..positionals.len().saturating_sub(1)]
            };
            if sources.iter().any(|s| is_data_dir(s)) {
                note("mv of a data directory");
            }
        }
        "rsync"
            if (args.has_prefix("--del") || args.has("--remove-source-files"))
                && !args.short('n') =>
        {
            note("rsync --delete");
        }
        "pg_restore" if args.has("--clean") || args.short('c') => note("pg_restore --clean"),
        "redis-cli" if args.word("flushall") || args.word("flushdb") => note("FLUSHALL/FLUSHDB"),
        "redis-cli" if args.word("del") || args.word("unlink") => note("redis DEL"),
        "crontab" if args.short('r') => note("crontab -r"),
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft"
            if args.short('F') || args.has("--flush") || args.short('X') =>
        {
            note("firewall flush/reset");
        }
        "nft" if first == "flush" || first == "delete" => note("firewall flush/reset"),
        "curl"
            if args
                .value(&["-X", "--request"])
                .is_some_and(|m| m.eq_ignore_ascii_case("delete")) =>
        {
            note("HTTP DELETE");
        }
        "http" | "https" | "xh" if first.eq_ignore_ascii_case("delete") => note("HTTP DELETE"),
        "wget"
            if args
                .value(&["--method"])
                .is_some_and(|m| m.eq_ignore_ascii_case("delete")) =>
        {
            note("HTTP DELETE");
        }
        "kubectl" | "oc" | "kubecolor" => kubectl(&positionals, args, note),
        "helm" if matches!(first, "uninstall" | "delete" | "del" | "un") => note("helm uninstall"),
        "terraform" | "tofu" | "terragrunt"
            if first == "apply" && (args.has("-destroy") || args.has("--destroy")) =>
        {
            note("terraform apply -destroy");
        }
        "terraform" | "tofu" | "terragrunt" if first == "apply" && args.has("-replace") => {
            note("terraform apply -replace");
        }
        "git" => git(&positionals, args, note),
        "aws" => aws(&positionals, args, note),
        "docker" | "podman" | "nerdctl" | "docker-compose" | "podman-compose" => {
            docker(name, &positionals, args, note)
        }
        "gcloud" if positionals.contains(&"resize") && args.value(&["--size"]) == Some("0") => {
            note("scale to zero")
        }
        "az" if args.value(&["--new-capacity"]) == Some("0") => note("scale to zero"),
        "snap" if first == "remove" && args.has("--purge") => note("snap remove --purge"),
        // A project's own script named for a migration run backwards
        // (`npm run migrate:down`, `yarn db:reset`).
        "npm" | "yarn" | "pnpm" | "bun" if positionals.iter().any(|p| is_downgrade_script(p)) => {
            note("migration downgrade/reset");
        }
        _ => {}
    }
}

fn kubectl(positionals: &[&str], args: Args, note: &mut dyn FnMut(&str)) {
    let sub = positionals.first().copied().unwrap_or("");
    match sub {
        "delete" | "drain" => note("kubectl delete/drain"),
        "adm"
            if positionals
                .get(1)
                .is_some_and(|s| matches!(*s, "drain" | "prune")) =>
        {
            note("kubectl delete/drain")
        }
        "scale" if args.value(&["--replicas"]) == Some("0") => note("scale to zero"),
        "patch"
            if args
                .0
                .iter()
                .any(|a| a.replace([' ', '"', '\''], "").contains("replicas:0")) =>
        {
            note("scale to zero");
        }
        "replace" if args.has("--force") => note("kubectl replace --force"),
        "apply" if args.has("--prune") => note("kubectl apply --prune"),
        _ => {}
    }
}

fn git(positionals: &[&str], args: Args, note: &mut dyn FnMut(&str)) {
    let sub = positionals.first().copied().unwrap_or("");
    match sub {
        "push" if args.short('n') => {}
        "push"
            if args.short('f')
                || args.has_prefix("--force")
                || args.has("--mirror")
                || positionals[1..].iter().any(|r| r.starts_with('+')) =>
        {
            note("git push --force");
        }
        "push"
            if args.has("--delete")
                || args.short('d')
                || positionals[1..].iter().any(|r| r.starts_with(':')) =>
        {
            note("git push --delete");
        }
        "reset" if args.has("--hard") => note("git reset --hard"),
        "clean" if (args.short('f') || args.has("--force")) && !args.short('n') => {
            note("git clean -f")
        }
        "branch"
            if args.short('D') || (args.short('d') && (args.short('f') || args.has("--force"))) =>
        {
            note("git branch -D");
        }
        "checkout" | "switch"
            if args.short('f') || args.has("--force") || args.has("--discard-changes") =>
        {
            note("git checkout --force");
        }
        // Every uncommitted change in the tree, gone.
        "checkout" | "restore"
            if positionals[1..].contains(&".") && !args.has("--staged") && !args.short('S') =>
        {
            note("git checkout --force");
        }
        "stash"
            if positionals
                .get(1)
                .is_some_and(|s| matches!(*s, "clear" | "drop")) =>
        {
            note("git stash drop/clear")
        }
        _ => {}
    }
}

fn aws(positionals: &[&str], args: Args, note: &mut dyn FnMut(&str)) {
    let (service, op) = (
        positionals.first().copied().unwrap_or(""),
        positionals.get(1).copied().unwrap_or(""),
    );
    match (service, op) {
        ("s3", "rm") if args.has("--recursive") => note("aws s3 rm --recursive"),
        ("s3", "rm") => note("aws s3 rm"),
        ("s3", "rb") => note("aws s3 rb"),
        ("s3", "sync") if args.has("--delete") => note("aws s3 sync --delete"),
        _ if [
            "delete-",
            "terminate-",
            "purge-",
            "deregister-",
            "batch-delete-",
        ]
        .iter()
        .any(|p| op.starts_with(p)) =>
        {
            note("aws delete/terminate");
        }
        _ => {}
    }
    let zero = ["--desired-count", "--desired-capacity", "--max-size"]
        .iter()
        .any(|f| args.value(&[f]) == Some("0"));
    if zero {
        note("scale to zero");
    }
}

fn docker(name: &str, positionals: &[&str], args: Args, note: &mut dyn FnMut(&str)) {
    // `docker compose …` and `docker-compose …` read alike.
    let rest = match (name, positionals.first()) {
        ("docker-compose" | "podman-compose", _) => positionals,
        (_, Some(&"compose")) => &positionals[1..],
        _ => {
            let first = positionals.first().copied().unwrap_or("");
            let second = positionals.get(1).copied().unwrap_or("");
            let prune = second == "prune"
                && matches!(
                    first,
                    "system" | "volume" | "image" | "container" | "network" | "builder" | "buildx"
                );
            let removes = (first == "volume" && matches!(second, "rm" | "remove"))
                || ((first == "rm" || (first == "container" && second == "rm"))
                    && (args.short('f')
                        || args.short('v')
                        || args.has("--force")
                        || args.has("--volumes")))
                || (matches!(first, "service" | "stack") && matches!(second, "rm" | "remove"));
            if prune || removes {
                note("docker prune/rm");
            }
            if first == "service"
                && second == "scale"
                && positionals[2..].iter().any(|s| s.ends_with("=0"))
            {
                note("scale to zero");
            }
            return;
        }
    };
    match rest.first().copied().unwrap_or("") {
        "down" if args.short('v') || args.has("--volumes") || args.has("--rmi") => {
            note("docker compose down -v")
        }
        "rm" if args.short('v') || args.has("--volumes") => note("docker compose down -v"),
        "up" if args.0.iter().any(|a| a.ends_with("=0")) && args.has("--scale") => {
            note("scale to zero")
        }
        _ => {}
    }
}

/// A package script that runs migrations backwards or drops the database.
fn is_downgrade_script(name: &str) -> bool {
    let Some((scope, action)) = name.rsplit_once(':') else {
        return false;
    };
    let scope = scope.to_ascii_lowercase();
    (scope.contains("migrat") || scope.starts_with("db") || scope.contains("schema"))
        && matches!(
            action,
            "down" | "rollback" | "reset" | "drop" | "undo" | "revert" | "fresh" | "wipe"
        )
}

/// A block device or a disk (not `/dev/null` and the like).
pub fn is_device(path: &str) -> bool {
    let Some(dev) = path.strip_prefix("/dev/") else {
        return false;
    };
    !matches!(
        dev,
        "null" | "zero" | "stdout" | "stderr" | "stdin" | "tty" | "random" | "urandom" | "full"
    ) && !dev.starts_with("fd/")
        && !dev.starts_with("pts/")
        && !dev.starts_with("shm/")
}

/// Where a service keeps its data: under `/var/lib`, `/srv`, `/data`, or a
/// directory named like a data directory.
fn is_data_dir(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    let under = |root: &str| {
        p.strip_prefix(root)
            .is_some_and(|rest| !rest.is_empty() && !rest.trim_matches('/').is_empty())
    };
    under("/var/lib/")
        || under("/var/opt/")
        || under("/srv/")
        || p == "/data"
        || under("/data/")
        || p.contains("PGDATA")
        || p.rsplit('/').next().is_some_and(|last| {
            matches!(
                last,
                "data" | "pgdata" | "datadir" | "data_dir" | "db-data" | "mysql" | "postgresql"
            )
        })
}
