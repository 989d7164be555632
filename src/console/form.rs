//! Form bodies (`application/x-www-form-urlencoded`) and query strings as name–value pairs,
//! keeping repeated names (`ids=a&ids=b`, the checked rows of a list).

use poem::Body;

use super::ConsoleError;

/// The pairs of one form body or query string.
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// The pairs of a query string.
    pub fn query(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    /// The pairs of a form body (its size is held to `--max-body-bytes` before it gets here).
    pub async fn body(body: Body) -> Result<Self, ConsoleError> {
        let bytes = body
            .into_vec()
            .await
            .map_err(|e| ConsoleError::BadRequest(format!("The form could not be read: {e}")))?;
        Ok(Self(form_urlencoded::parse(&bytes).into_owned().collect()))
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every non-blank value of `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    }
}

/// A query string of `pairs` (blank values left out), with its leading `?` when not empty.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            out.append_pair(k, v);
        }
    }
    let out = out.finish();
    if out.is_empty() {
        out
    } else {
        format!("?{out}")
    }
}
