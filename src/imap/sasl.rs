//! SASL with a bearer token for IMAP: OAUTHBEARER (RFC 7628) or XOAUTH2, whichever the
//! server offers. The token goes only to the server, never to a log or an error.

use super::wire::Wire;
use super::Account;

/// The SASL mechanisms for a bearer token, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenMechanism {
    /// RFC 7628, the standard one.
    OAuthBearer,
    /// Google's and Microsoft's older one (Microsoft offers only this).
    XOAuth2,
}

impl TokenMechanism {
    /// OAUTHBEARER when the server offers it, else XOAUTH2 (also when it offers neither:
    /// some servers list their mechanisms only after STARTTLS or not at all).
    pub fn choose(offers: impl Fn(&str) -> bool) -> TokenMechanism {
        if offers("AUTH=OAUTHBEARER") {
            TokenMechanism::OAuthBearer
        } else {
            TokenMechanism::XOAuth2
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TokenMechanism::OAuthBearer => "OAUTHBEARER",
            TokenMechanism::XOAuth2 => "XOAUTH2",
        }
    }
}

/// The client's side of a bearer-token SASL exchange. `user` is the mailbox (for a shared
/// mailbox, the shared address), not necessarily who signed in.
pub struct TokenSasl<'a> {
    pub mechanism: TokenMechanism,
    pub user: &'a str,
    pub token: &'a str,
    pub host: &'a str,
    pub port: u16,
    answered: std::cell::Cell<bool>,
}

impl<'a> TokenSasl<'a> {
    pub fn new(
        mechanism: TokenMechanism,
        user: &'a str,
        token: &'a str,
        host: &'a str,
        port: u16,
    ) -> Self {
        TokenSasl {
            mechanism,
            user,
            token,
            host,
            port,
            answered: std::cell::Cell::new(false),
        }
    }

    /// The client's first message.
    pub fn initial(&self) -> String {
        match self.mechanism {
            TokenMechanism::OAuthBearer => format!(
                "n,a={},\x01host={}\x01port={}\x01auth=Bearer {}\x01\x01",
                self.user.replace('=', "=3D").replace(',', "=2C"),
                self.host,
                self.port,
                self.token
            ),
            TokenMechanism::XOAuth2 => {
                format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
            }
        }
    }
}

impl imap::Authenticator for TokenSasl<'_> {
    type Response = String;
    fn process(&self, _challenge: &[u8]) -> String {
        if self.answered.replace(true) {
            // A second challenge is the server's error report (JSON); both mechanisms
            // acknowledge it so the server can send its NO.
            return match self.mechanism {
                TokenMechanism::OAuthBearer => "\x01".into(),
                TokenMechanism::XOAuth2 => String::new(),
            };
        }
        self.initial()
    }
}

pub(super) type Unauthenticated = imap::Client<Wire>;
pub(super) type AuthResult = Result<imap::Session<Wire>, (imap::Error, Unauthenticated)>;

// The imap crate hands the client back in the error, so the error is as large as it is.
#[allow(clippy::result_large_err)]
pub(super) fn authenticate(
    client: Unauthenticated,
    account: &Account,
    mechanism: TokenMechanism,
    token: &str,
) -> AuthResult {
    let sasl = TokenSasl::new(
        mechanism,
        &account.login,
        token,
        &account.host,
        account.port,
    );
    client.authenticate(mechanism.name(), &sasl)
}

/// Which token mechanism the server offers before login.
pub(super) fn token_mechanism(client: &mut Unauthenticated) -> TokenMechanism {
    match client.capabilities() {
        Ok(caps) => TokenMechanism::choose(|c| caps.has_str(c)),
        Err(_) => TokenMechanism::XOAuth2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap::Authenticator as _;

    #[test]
    fn messages_name_the_mailbox_and_acknowledge_errors() {
        let x = TokenSasl::new(
            TokenMechanism::XOAuth2,
            "ap@shared.example",
            "tok",
            "h",
            993,
        );
        assert_eq!(
            x.process(b""),
            "user=ap@shared.example\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(x.process(b"{\"status\":\"401\"}"), "");
        let o = TokenSasl::new(TokenMechanism::OAuthBearer, "a,b=c@x", "tok", "imap.x", 143);
        assert_eq!(
            o.process(b""),
            "n,a=a=2Cb=3Dc@x,\x01host=imap.x\x01port=143\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(o.process(b"{}"), "\x01");
        assert_eq!(
            TokenMechanism::choose(|c| c == "AUTH=XOAUTH2"),
            TokenMechanism::XOAuth2
        );
        assert_eq!(
            TokenMechanism::choose(|c| c.starts_with("AUTH=")),
            TokenMechanism::OAuthBearer
        );
    }
}
