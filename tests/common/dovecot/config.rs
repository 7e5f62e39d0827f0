//! What the Dovecot harness writes before a start: Maildirs, the certificate, dovecot.conf for 2.3
//! or 2.4 (identity, namespace, capabilities, listeners, OAuth2).

use super::*;

impl Dovecot {
    /// Creates a Maildir (and any missing parents below the temp dir) owned by the mail user.
    pub(super) fn make_maildir(&self, dir: &Path) {
        let mut missing = Vec::new();
        let mut p = dir.to_path_buf();
        while !p.exists() && p.starts_with(self.dir.path()) {
            missing.push(p.clone());
            if !p.pop() {
                break;
            }
        }
        for d in missing.iter().rev() {
            fs::create_dir(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
            self.chown(d);
        }
        for sub in ["cur", "new", "tmp"] {
            let d = dir.join(sub);
            if !d.exists() {
                fs::create_dir(&d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
                self.chown(&d);
            }
        }
    }

    pub(super) fn prepare_files(&self) {
        for d in ["run", "state", "tls", "home"] {
            fs::create_dir(self.path(d)).expect("create a Dovecot dir");
        }
        // passwd-file: user:{PLAIN}password:uid:gid:gecos:home:shell:extra. uid/gid/home come
        // from the userdb settings instead.
        let mut passwd = String::new();
        for u in &self.users {
            let _ = writeln!(passwd, "{u}:{{PLAIN}}{PASSWORD}::::::");
        }
        fs::write(self.path("users"), passwd).expect("write the passwd-file");
        for u in &self.users {
            self.make_maildir(&self.home(u).join("Maildir"));
        }
        self.make_certificate();
    }

    pub(super) fn make_certificate(&self) {
        let cnf = self.path("tls/openssl.cnf");
        // CA:FALSE on purpose: the certificate is its own trust anchor, and clients such as
        // rustls/webpki refuse a CA:TRUE certificate presented as the server's own.
        fs::write(
            &cnf,
            "[req]\n\
             distinguished_name = dn\n\
             x509_extensions = ext\n\
             prompt = no\n\
             [dn]\n\
             CN = localhost\n\
             [ext]\n\
             basicConstraints = critical,CA:FALSE\n\
             subjectAltName = IP:127.0.0.1,DNS:localhost\n\
             keyUsage = critical,digitalSignature,keyEncipherment\n\
             extendedKeyUsage = serverAuth\n\
             subjectKeyIdentifier = hash\n",
        )
        .expect("write openssl.cnf");
        let out = Command::new("openssl")
            .args(["req", "-x509", "-config"])
            .arg(&cnf)
            .args([
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "30",
                "-keyout",
            ])
            .arg(self.key_file())
            .arg("-out")
            .arg(self.ca_file())
            .output()
            .expect("run openssl req");
        assert!(
            out.status.success(),
            "openssl req -x509 failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The mechanisms for `auth_mechanisms`.
    pub(super) fn auth_mechanisms(&self) -> String {
        let mut m = String::from("plain login");
        if self.opts.oauth2_introspection.is_some() {
            m.push(' ');
            m.push_str(&self.oauth2_mechanisms().join(" "));
        }
        m
    }

    pub(super) fn oauth2_mechanisms(&self) -> Vec<String> {
        if self.opts.oauth2_mechanisms.is_empty() {
            vec!["xoauth2".into(), "oauthbearer".into()]
        } else {
            self.opts.oauth2_mechanisms.clone()
        }
    }

    /// The token-validation settings of `passdb oauth2` (2.3: a separate file), or nothing.
    pub(super) fn oauth2_settings(&self) -> String {
        let Some(url) = &self.opts.oauth2_introspection else {
            return String::new();
        };
        // POST token=...; the answer's `active` must be true and its `username` the login.
        let body = format!(
            "introspection_mode = post\n\
             introspection_url = {url}\n\
             force_introspection = yes\n\
             username_attribute = username\n\
             active_attribute = active\n\
             active_value = true\n"
        );
        match self.dialect {
            Dialect::V23 => {
                let file = self.path("oauth2.conf.ext");
                fs::write(&file, body).expect("write oauth2.conf.ext");
                format!(
                    "passdb {{\n  driver = oauth2\n  mechanisms = {}\n  args = {}\n}}\n",
                    self.oauth2_mechanisms().join(" "),
                    file.display()
                )
            }
            // 2.4 validates tokens in the mechanism itself, from `oauth2_*` settings (not
            // verified here: the machines the suite runs on have 2.3).
            Dialect::V24 => body.lines().map(|l| format!("oauth2_{l}\n")).collect(),
        }
    }

    pub(super) fn write_config(&self) {
        let conf = match self.dialect {
            Dialect::V23 => self.config_v23(),
            Dialect::V24 => self.config_v24(),
        };
        fs::write(self.config_file(), conf).expect("write dovecot.conf");
    }

    /// The process identity part, shared by both dialects (the setting names did not change).
    pub(super) fn identity_settings(&self) -> String {
        let mut s = String::new();
        match (&self.identity.mail_owner, &self.identity.own_user) {
            (Some((uid, gid)), _) => {
                // Run by root (CI): the master stays root and drops privileges per process.
                // Login processes run as Debian's `dovenull`, auth & co. as `dovecot` (both
                // made by the dovecot-core package). Mail processes cannot run as root —
                // Dovecot refuses ("Mail access not allowed for root") whatever first_valid_uid
                // says — so they run as `nobody`, and the harness chowns what it writes.
                let _ = write!(
                    s,
                    "default_internal_user = dovecot\n\
                     default_login_user = dovenull\n\
                     mail_uid = {uid}\n\
                     mail_gid = {gid}\n\
                     first_valid_uid = {uid}\n\
                     first_valid_gid = {gid}\n"
                );
            }
            (
                None,
                Some(OwnUser {
                    name,
                    group,
                    uid,
                    gid,
                }),
            ) => {
                // Run by an ordinary user: nobody can switch users, so every process — login,
                // internal and mail — runs as the user running the tests, no mail_uid is set,
                // first_valid_uid/gid must admit that (possibly low) uid, the internal group
                // must be ours (the master chowns its sockets to it), and the login and anvil
                // processes must not chroot (only root may).
                let _ = write!(
                    s,
                    "default_internal_user = {name}\n\
                     default_internal_group = {group}\n\
                     default_login_user = {name}\n\
                     first_valid_uid = {uid}\n\
                     first_valid_gid = {gid}\n\
                     service anvil {{\n  chroot =\n}}\n"
                );
            }
            (None, None) => unreachable!("identity() sets one"),
        }
        s
    }

    pub(super) fn login_chroot(&self) -> &'static str {
        if self.identity.own_user.is_some() {
            "  chroot =\n"
        } else {
            ""
        }
    }

    /// The namespace block (prefix, separator, special-use folders) and verbatim settings.
    pub(super) fn namespace_settings(&self) -> String {
        let mut s = String::new();
        if self.opts.namespace.is_some() || !self.opts.special_use.is_empty() {
            s.push_str("namespace inbox {\n  inbox = yes\n");
            if let Some((prefix, separator)) = &self.opts.namespace {
                let _ = write!(s, "  prefix = {prefix}\n  separator = {separator}\n");
            }
            for (folder, attribute) in &self.opts.special_use {
                let _ = write!(
                    s,
                    "  mailbox \"{folder}\" {{\n    special_use = {attribute}\n    auto = create\n  }}\n"
                );
            }
            s.push_str("}\n");
        }
        for line in &self.opts.settings {
            s.push_str(line);
            s.push('\n');
        }
        s
    }

    pub(super) fn capability_setting(&self) -> String {
        match &self.advertised {
            Some(list) => format!("imap_capability = {}\n", list.join(" ")),
            None => String::new(),
        }
    }

    pub(super) fn listeners(&self) -> String {
        let mut s = format!(
            "service imap-login {{\n\
             {chroot}  inet_listener imap {{\n    port = {imap}\n  }}\n\
             \x20 inet_listener imaps {{\n    port = {imaps}\n    ssl = yes\n  }}\n\
             }}\n",
            chroot = self.login_chroot(),
            imap = self.ports.imap,
            imaps = self.ports.imaps,
        );
        if let Some(lmtp) = self.ports.lmtp {
            let _ = write!(
                s,
                "service lmtp {{\n\
                 \x20 unix_listener {sock} {{\n    mode = 0666\n  }}\n\
                 \x20 inet_listener lmtp {{\n    port = {lmtp}\n  }}\n\
                 }}\n",
                sock = self.path("lmtp.sock").display(),
            );
        }
        if self.opts.smtp_auth {
            // An extra listener beside the auth service's own ones. 0666: Postfix's smtpd runs
            // as `postfix`, and the socket lives in this instance's own temp dir.
            let _ = write!(
                s,
                "service auth {{\n\
                 \x20 unix_listener {sock} {{\n    mode = 0666\n  }}\n\
                 }}\n",
                sock = self.path("auth-smtp.sock").display(),
            );
        }
        s
    }

    pub(super) fn config_v23(&self) -> String {
        let d = self.dir.path().display();
        let protocols = if self.opts.lmtp { "imap lmtp" } else { "imap" };
        format!(
            "# Written by tests/common/dovecot.rs for Dovecot 2.3; /etc/dovecot is not read.\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             info_log_path = {d}/dovecot.log\n\
             debug_log_path = {d}/dovecot.log\n\
             protocols = {protocols}\n\
             # Every listener binds here only; each one only sets its port.\n\
             listen = 127.0.0.1\n\
             ssl = yes\n\
             ssl_cert = <{d}/tls/cert.pem\n\
             ssl_key = <{d}/tls/key.pem\n\
             # LOGIN/AUTHENTICATE PLAIN are allowed before STARTTLS (it is 127.0.0.1).\n\
             disable_plaintext_auth = no\n\
             auth_mechanisms = {mechanisms}\n\
             auth_verbose = yes\n\
             {identity}\
             mail_location = maildir:~/Maildir\n\
             {oauth2}\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN {d}/users\n}}\n\
             userdb {{\n  driver = static\n  args = home={d}/home/%u\n}}\n\
             {caps}\
             {namespace}\
             {listeners}",
            identity = self.identity_settings(),
            mechanisms = self.auth_mechanisms(),
            oauth2 = self.oauth2_settings(),
            caps = self.capability_setting(),
            namespace = self.namespace_settings(),
            listeners = self.listeners(),
        )
    }

    pub(super) fn config_v24(&self) -> String {
        let d = self.dir.path().display();
        let lmtp = if self.opts.lmtp { "yes" } else { "no" };
        format!(
            "# Written by tests/common/dovecot.rs for Dovecot 2.4; /etc/dovecot is not read.\n\
             dovecot_config_version = 2.4.0\n\
             dovecot_storage_version = 2.4.0\n\
             base_dir = {d}/run\n\
             state_dir = {d}/state\n\
             log_path = {d}/dovecot.log\n\
             info_log_path = {d}/dovecot.log\n\
             debug_log_path = {d}/dovecot.log\n\
             protocols {{\n  imap = yes\n  lmtp = {lmtp}\n}}\n\
             listen = 127.0.0.1\n\
             ssl = yes\n\
             ssl_server_cert_file = {d}/tls/cert.pem\n\
             ssl_server_key_file = {d}/tls/key.pem\n\
             auth_allow_cleartext = yes\n\
             auth_mechanisms = {mechanisms}\n\
             auth_verbose = yes\n\
             {identity}\
             mail_driver = maildir\n\
             mail_home = {d}/home/%{{user}}\n\
             mail_path = ~/Maildir\n\
             {oauth2}\
             passdb passwd-file {{\n  passwd_file_path = {d}/users\n}}\n\
             userdb static {{\n}}\n\
             {caps}\
             {namespace}\
             {listeners}",
            identity = self.identity_settings(),
            mechanisms = self.auth_mechanisms(),
            oauth2 = self.oauth2_settings(),
            caps = self.capability_setting(),
            namespace = self.namespace_settings(),
            listeners = self.listeners(),
        )
    }
}
