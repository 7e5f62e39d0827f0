//! What the Postfix harness writes: its main.cf and master.cf in front of a Dovecot, and the duebox
//! config that talks to both.

use super::*;

impl Postfix {
    /// Directories and files as Postfix's own `postfix-files` lays them out: the queue
    /// directory is root's, the queues `postfix`'s, `maildrop` and `public` group `postdrop`.
    pub(super) fn prepare_files(&self, dovecot: &Dovecot) {
        let (postfix_uid, postfix_gid) = passwd_ids("postfix").unwrap_or_else(|| {
            panic!("the `postfix` user does not exist; Postfix is not installed: {INSTALL_HINT}")
        });
        let postdrop_gid = group_id("postdrop").unwrap_or_else(|| {
            panic!("the `postdrop` group does not exist; Postfix is not installed: {INSTALL_HINT}")
        });
        let mk = |rel: &str, mode: u32, owner: Option<(u32, u32)>| {
            let p = self.path(rel);
            fs::create_dir(&p).unwrap_or_else(|e| panic!("mkdir {}: {e}", p.display()));
            fs::set_permissions(&p, fs::Permissions::from_mode(mode))
                .unwrap_or_else(|e| panic!("chmod {}: {e}", p.display()));
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&p, Some(uid), Some(gid))
                    .unwrap_or_else(|e| panic!("chown {}: {e}", p.display()));
            }
        };
        let postfix = Some((postfix_uid, postfix_gid));
        mk("conf", 0o755, None);
        mk("tls", 0o755, None);
        mk("data", 0o700, postfix);
        mk("queue", 0o755, None);
        mk("queue/pid", 0o755, None);
        for q in [
            "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming",
            "private", "saved", "trace",
        ] {
            mk(&format!("queue/{q}"), 0o700, postfix);
        }
        mk("queue/maildrop", 0o730, Some((postfix_uid, postdrop_gid)));
        mk("queue/public", 0o710, Some((postfix_uid, postdrop_gid)));

        // The Dovecot's own certificate and key, copied so that this instance does not depend
        // on the other's temp dir. smtpd reads the key as root before it drops privileges.
        for (from, to) in [
            (dovecot.ca_file(), "cert.pem"),
            (dovecot.key_file(), "key.pem"),
        ] {
            let dest = self.path("tls").join(to);
            fs::copy(&from, &dest)
                .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), dest.display()));
        }
        fs::set_permissions(self.path("tls/key.pem"), fs::Permissions::from_mode(0o600))
            .expect("chmod the key");
        // postconf needs a main.cf to answer even `-d`.
        self.write_file("conf/main.cf", "");
    }

    /// The installed Postfix's version and daemon directory (where `master` lives).
    pub(super) fn query_installation(&self) -> (String, PathBuf) {
        let out = Command::new(&self.postconf)
            .arg("-c")
            .arg(self.config_dir())
            .args(["-d", "-h", "mail_version", "daemon_directory"])
            .output()
            .unwrap_or_else(|e| panic!("run postconf: {e}; {INSTALL_HINT}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines().map(str::trim);
        let (version, daemons) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        assert!(
            out.status.success() && !version.is_empty() && !daemons.is_empty(),
            "`postconf -d mail_version daemon_directory` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (major, minor) = major_minor(version);
        assert!(
            (major, minor) >= (3, 4),
            "Postfix {version} is too old: the harness logs to a file (maillog_file), which \
             needs Postfix 3.4 or later"
        );
        (version.to_string(), PathBuf::from(daemons))
    }

    /// The `main.cf` parameters, in order; [`PostfixOptions::settings`] replace or extend them.
    pub(super) fn main_cf(&self) -> Vec<(String, String)> {
        let d = self.dir.path().display().to_string();
        let (major, minor) = major_minor(&self.version);
        let b = &self.backend;
        let nowhere = "error:5.7.1 nothing leaves this machine (duebox test harness)";
        let mut cf: Vec<(&str, String)> = vec![
            // Settings that would otherwise differ with the version follow the installed one.
            ("compatibility_level", format!("{major}.{minor}")),
            ("config_directory", format!("{d}/conf")),
            // dynamicmaps.cf would be read from here; the empty one here loads no map plugins
            // (regexp and texthash are built in).
            ("meta_directory", format!("{d}/conf")),
            ("queue_directory", format!("{d}/queue")),
            ("data_directory", format!("{d}/data")),
            ("mail_owner", "postfix".into()),
            ("setgid_group", "postdrop".into()),
            ("maillog_file", format!("{d}/postfix.log")),
            ("maillog_file_prefixes", d.clone()),
            ("inet_interfaces", "127.0.0.1".into()),
            ("inet_protocols", "ipv4".into()),
            ("myhostname", "mail.example.test".into()),
            ("mydomain", "example.test".into()),
            ("myorigin", "example.test".into()),
            ("mydestination", String::new()),
            ("mynetworks", "127.0.0.0/8".into()),
            ("append_dot_mydomain", "no".into()),
            ("biff", "no".into()),
            ("alias_maps", String::new()),
            ("alias_database", String::new()),
            ("local_recipient_maps", String::new()),
            (
                "local_transport",
                "error:5.1.1 no local delivery here".into(),
            ),
            ("relayhost", String::new()),
            ("relay_domains", String::new()),
            ("default_transport", nowhere.into()),
            ("relay_transport", nowhere.into()),
            ("smtp_dns_support_level", "disabled".into()),
            ("lmtp_dns_support_level", "disabled".into()),
            ("smtpd_peername_lookup", "no".into()),
            ("virtual_mailbox_domains", b.domains.join(" ")),
            (
                "virtual_mailbox_maps",
                format!("texthash:{d}/conf/mailboxes"),
            ),
            (
                "virtual_alias_maps",
                format!("regexp:{d}/conf/vendors.regexp"),
            ),
            // Not $virtual_alias_maps (the default): its catch-all would match every domain
            // name and make every domain a virtual alias domain.
            ("virtual_alias_domains", String::new()),
            (
                "virtual_transport",
                format!("lmtp:unix:{}", b.lmtp_socket.display()),
            ),
            (
                "smtpd_banner",
                "$myhostname ESMTP Postfix (duebox test)".into(),
            ),
            // Messages arrive as the client sent them: 127.0.0.1 is not treated as a local
            // client whose headers Postfix completes (Message-ID, Date, From) or qualifies.
            ("local_header_rewrite_clients", String::new()),
            (
                "smtpd_relay_restrictions",
                "permit_sasl_authenticated, reject_unauth_destination".into(),
            ),
            ("smtpd_tls_security_level", "may".into()),
            (
                "smtpd_tls_chain_files",
                format!("{d}/tls/key.pem, {d}/tls/cert.pem"),
            ),
            (
                "smtpd_tls_auth_only",
                if self.opts.auth_without_tls {
                    "no"
                } else {
                    "yes"
                }
                .into(),
            ),
            ("smtpd_tls_loglevel", "1".into()),
            ("smtp_tls_security_level", "none".into()),
            ("lmtp_tls_security_level", "none".into()),
            ("smtpd_sasl_auth_enable", "yes".into()),
            ("smtpd_sasl_type", "dovecot".into()),
            ("smtpd_sasl_path", b.auth_socket.display().to_string()),
            ("smtpd_sasl_security_options", "noanonymous".into()),
            ("smtpd_sasl_tls_security_options", "noanonymous".into()),
            // Fast tests: no sleeping after client errors or under load, quick retries of
            // deferred mail (e.g. while Dovecot is down).
            ("smtpd_error_sleep_time", "0s".into()),
            ("in_flow_delay", "0s".into()),
            ("queue_run_delay", "1s".into()),
            ("minimal_backoff_time", "1s".into()),
            ("maximal_backoff_time", "2s".into()),
        ];
        if (major, minor) < (3, 6) {
            cf[0].1 = "2".into();
        }
        let mut out: Vec<(String, String)> =
            cf.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        for (name, value) in &self.opts.settings {
            match out.iter_mut().find(|(k, _)| k == name) {
                Some(entry) => entry.1 = value.clone(),
                None => out.push((name.clone(), value.clone())),
            }
        }
        out
    }

    pub(super) fn master_cf(&self) -> String {
        let mut s = String::from(
            "# Written by tests/common/postfix.rs; /etc/postfix is not read.\n\
             # service type  private unpriv  chroot  wakeup  maxproc command\n",
        );
        let _ = writeln!(s, "127.0.0.1:{} inet n - n - - smtpd", self.ports.smtp);
        let _ = writeln!(
            s,
            "127.0.0.1:{} inet n - n - - smtpd\n  -o smtpd_tls_wrappermode=yes\n  \
             -o smtpd_tls_security_level=encrypt",
            self.ports.smtps
        );
        // No `smtp`/`relay` transport at all: nothing could be sent out even if routed there.
        s.push_str(
            "postlog   unix-dgram n - n - 1 postlogd\n\
             cleanup   unix n - n - 0 cleanup\n\
             qmgr      unix n - n 300 1 qmgr\n\
             tlsmgr    unix - - n 1000? 1 tlsmgr\n\
             rewrite   unix - - n - - trivial-rewrite\n\
             bounce    unix - - n - 0 bounce\n\
             defer     unix - - n - 0 bounce\n\
             trace     unix - - n - 0 bounce\n\
             verify    unix - - n - 1 verify\n\
             flush     unix n - n 1000? 0 flush\n\
             proxymap  unix - - n - - proxymap\n\
             showq     unix n - n - - showq\n\
             error     unix - - n - - error\n\
             retry     unix - - n - - error\n\
             discard   unix - - n - - discard\n\
             lmtp      unix - - n - - lmtp\n\
             anvil     unix - - n - 1 anvil\n\
             scache    unix - - n - 1 scache\n",
        );
        s
    }

    pub(super) fn write_config(&self) {
        let mut main =
            String::from("# Written by tests/common/postfix.rs; /etc/postfix is not read.\n");
        for (k, v) in self.main_cf() {
            let _ = writeln!(main, "{k} = {v}");
        }
        self.write_file("conf/main.cf", &main);
        self.write_file("conf/master.cf", &self.master_cf());
        self.write_file("conf/dynamicmaps.cf", "");
        let mut mailboxes = String::new();
        for u in &self.backend.users {
            let _ = writeln!(mailboxes, "{u} ok");
        }
        self.write_file("conf/mailboxes", &mailboxes);
        // Every recipient outside the local domains goes to the sink (envelope only).
        let local = self
            .backend
            .domains
            .iter()
            .map(|d| d.replace('.', "\\."))
            .collect::<Vec<_>>()
            .join("|");
        self.write_file(
            "conf/vendors.regexp",
            &format!("if !/@({local})$/\n/^/ {SINK}\nendif\n"),
        );
    }

    /// Writes a configuration file with its mtime 10 s in the past: Postfix waits (about
    /// 1.5 s) for a file written in the current second to settle before it trusts it.
    pub(super) fn write_file(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        fs::write(&p, text).unwrap_or_else(|e| panic!("write {}: {e}", p.display()));
        let past = SystemTime::now() - Duration::from_secs(10);
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(past))
            .unwrap_or_else(|e| panic!("backdate {}: {e}", p.display()));
    }
}

/// The config file of a duebox that reads `login`'s mailbox on `dovecot` (IMAP over TLS on
/// `imap_port`) and sends through `postfix` (STARTTLS on `smtp_port`), its database at `db`;
/// `reply` is the body of the `[reply]` section. The secret comes from `DUEBOX_TEST_PASSWORD`.
#[allow(dead_code)] // not every test binary that includes this module writes a config
pub fn duebox_config(
    db: &Path,
    dovecot: &Dovecot,
    imap_port: u16,
    postfix: &Postfix,
    smtp_port: u16,
    login: &str,
    reply: &str,
) -> String {
    format!(
        "[company]\nname = \"Northwind Traders Ltd\"\ndomains = [\"northwind-traders.com\", \"example.test\"]\n\n\
         [database]\npath = \"{db}\"\n\n\
         {servers}\
         [reply]\n{reply}",
        db = db.display(),
        servers = server_sections(
            (imap_port, &dovecot.ca_file()),
            (smtp_port, &postfix.ca_file()),
            login,
            "password_env = \"DUEBOX_TEST_PASSWORD\"\n",
        ),
    )
}

/// The `[imap]` (TLS) and `[smtp]` (STARTTLS) sections of a duebox config for the test servers
/// on 127.0.0.1, each a (port, CA file); `secret` is the `[imap]` secret's line ("" when
/// `[oauth2]` signs in).
#[allow(dead_code)]
pub fn server_sections(
    (imap_port, imap_ca): (u16, &Path),
    (smtp_port, smtp_ca): (u16, &Path),
    login: &str,
    secret: &str,
) -> String {
    format!(
        "[imap]\nhost = \"127.0.0.1\"\nport = {imap_port}\nsecurity = \"tls\"\nlogin = \"{login}\"\n{secret}ca_file = \"{ca}\"\n\n\
         [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nsecurity = \"starttls\"\nca_file = \"{smtp_ca}\"\n\n",
        ca = imap_ca.display(),
        smtp_ca = smtp_ca.display(),
    )
}
