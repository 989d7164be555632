//! How to connect an identity provider to a directory: what Okta and Microsoft Entra ID ask for,
//! with the directory's SCIM base URL and token command filled in. This is the one copy of the
//! text: the setup view (`GET /api/v1/directories/{id}/setup`) renders it for each directory,
//! and README's "Connect Okta" and "Connect Microsoft Entra ID" show it for the `default`
//! directory at `https://<host>/scim/v2` (a test below keeps README in step).

use crate::store::DEFAULT_TENANT;

/// One identity provider's connection steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// `okta` or `entra`.
    pub id: &'static str,
    pub name: &'static str,
    /// Where in the identity provider the settings are entered.
    pub intro: &'static str,
    pub settings: Vec<Setting>,
    /// How to check the connection once the settings are saved.
    pub check: &'static str,
}

/// One field of the identity provider's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The field's label, as the identity provider spells it.
    pub field: &'static str,
    /// What to enter, when it is a fixed text.
    pub value: Option<String>,
    /// How to get or choose the value.
    pub hint: Option<String>,
}

impl Setting {
    fn new(field: &'static str, value: Option<&str>, hint: Option<String>) -> Self {
        Self {
            field,
            value: value.map(str::to_owned),
            hint,
        }
    }
}

/// The guides for `directory`, whose SCIM base URL is `base_url`.
pub fn guides(base_url: &str, directory: &str) -> Vec<Guide> {
    let url_hint = || Some("behind TLS in production; `--base-url` sets the host".to_owned());
    vec![
        Guide {
            id: "okta",
            name: "Okta",
            intro: "In the Okta app integration, enable SCIM provisioning and enter:",
            settings: vec![
                Setting::new("SCIM connector base URL", Some(base_url), url_hint()),
                Setting::new("Unique identifier field for users", Some("userName"), None),
                Setting::new(
                    "Authentication Mode",
                    Some("HTTP Header"),
                    Some(format!(
                        "paste a token from {} as the Bearer token",
                        token_command(directory, "okta")
                    )),
                ),
            ],
            check: "Then assign a user to the app: Okta first asks \
                    `GET /Users?filter=userName eq \"…\"`, then creates the user with `POST /Users`; \
                    both show among the directory's recent SCIM requests.",
        },
        Guide {
            id: "entra",
            name: "Microsoft Entra ID",
            intro: "In the enterprise application's Provisioning page (mode Automatic), under \
                    Admin Credentials:",
            settings: vec![
                Setting::new("Tenant URL", Some(base_url), url_hint()),
                Setting::new(
                    "Secret Token",
                    None,
                    Some(format!(
                        "a token from {}",
                        token_command(directory, "entra")
                    )),
                ),
            ],
            check: "\"Test Connection\" sends `GET /Users?filter=userName eq \"<random id>\"`, which \
                    answers `200` with an empty list; it shows among the directory's recent SCIM \
                    requests.",
        },
    ]
}

/// The command that issues a token called `name` for `directory`.
fn token_command(directory: &str, name: &str) -> String {
    if directory == DEFAULT_TENANT {
        format!("`scimd token create --name {name}`")
    } else {
        format!("`scimd token create --directory {directory} --name {name}`")
    }
}

impl Guide {
    /// The guide as Markdown: the intro, one bullet per setting, the check.
    pub fn markdown(&self) -> String {
        let mut out = format!("{}\n\n", self.intro);
        for s in &self.settings {
            let text = match (&s.value, &s.hint) {
                (Some(v), Some(h)) => format!("`{v}` ({h})"),
                (Some(v), None) => format!("`{v}`"),
                (None, Some(h)) => h.clone(),
                (None, None) => String::new(),
            };
            out.push_str(&format!("- **{}**: {text}.\n", s.field));
        }
        out.push('\n');
        out.push_str(self.check);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text with every run of whitespace made one space, so line wrapping does not count.
    fn words(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn readme_shows_each_guide_for_the_default_directory() {
        let readme = words(include_str!("../../README.md"));
        for guide in guides("https://<host>/scim/v2", DEFAULT_TENANT) {
            let expected = words(&guide.markdown());
            assert!(
                readme.contains(&expected),
                "README lacks the {} guide as rendered:\n{}",
                guide.name,
                guide.markdown()
            );
        }
    }

    #[test]
    fn a_directory_guide_names_its_url_and_its_token_command() {
        let url = "https://scim.example.com/directories/acme/scim/v2";
        for guide in guides(url, "acme") {
            let text = guide.markdown();
            assert!(text.contains(&format!("`{url}`")), "{text}");
            assert!(
                text.contains("scimd token create --directory acme --name"),
                "{text}"
            );
        }
    }
}
