//! Documentation-only models: they give the OpenAPI document the shape of SCIM bodies
//! (RFC 7643 §4, RFC 7644 §3) while handlers exchange JSON validated by the schema registry.

use poem_openapi::Object;
use serde_json::Value;

/// RFC 7643 §3.1 `meta`.
#[derive(Object)]
pub struct Meta {
    #[oai(rename = "resourceType")]
    pub resource_type: String,
    pub created: String,
    #[oai(rename = "lastModified")]
    pub last_modified: String,
    pub location: String,
    /// Weak ETag, also sent as the `ETag` header.
    pub version: String,
}

/// RFC 7643 §4.1.1 `name`.
#[derive(Object)]
pub struct Name {
    pub formatted: Option<String>,
    #[oai(rename = "familyName")]
    pub family_name: Option<String>,
    #[oai(rename = "givenName")]
    pub given_name: Option<String>,
    #[oai(rename = "middleName")]
    pub middle_name: Option<String>,
    #[oai(rename = "honorificPrefix")]
    pub honorific_prefix: Option<String>,
    #[oai(rename = "honorificSuffix")]
    pub honorific_suffix: Option<String>,
}

/// A value of a multi-valued attribute (RFC 7643 §2.4).
#[derive(Object)]
pub struct MultiValue {
    pub value: Option<String>,
    pub display: Option<String>,
    #[oai(rename = "type")]
    pub kind: Option<String>,
    pub primary: Option<bool>,
    #[oai(rename = "$ref")]
    pub reference: Option<String>,
}

/// RFC 7643 §4.3 Enterprise User extension.
#[derive(Object)]
pub struct EnterpriseUser {
    #[oai(rename = "employeeNumber")]
    pub employee_number: Option<String>,
    #[oai(rename = "costCenter")]
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    /// `{"value": "<manager id>"}`; `displayName` and `$ref` are filled in by the server.
    pub manager: Option<Value>,
}

/// A SCIM User (RFC 7643 §4.1). Attribute names are case-insensitive; unknown attributes are
/// ignored; `password` is accepted and never returned.
#[derive(Object)]
#[oai(rename = "User")]
pub struct User {
    pub schemas: Vec<String>,
    #[oai(read_only)]
    pub id: Option<String>,
    #[oai(rename = "externalId")]
    pub external_id: Option<String>,
    #[oai(rename = "userName")]
    pub user_name: String,
    pub name: Option<Name>,
    #[oai(rename = "displayName")]
    pub display_name: Option<String>,
    #[oai(rename = "nickName")]
    pub nick_name: Option<String>,
    #[oai(rename = "profileUrl")]
    pub profile_url: Option<String>,
    pub title: Option<String>,
    #[oai(rename = "userType")]
    pub user_type: Option<String>,
    #[oai(rename = "preferredLanguage")]
    pub preferred_language: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub active: Option<bool>,
    #[oai(write_only)]
    pub password: Option<String>,
    pub emails: Option<Vec<MultiValue>>,
    #[oai(rename = "phoneNumbers")]
    pub phone_numbers: Option<Vec<MultiValue>>,
    pub ims: Option<Vec<MultiValue>>,
    pub photos: Option<Vec<MultiValue>>,
    pub addresses: Option<Vec<Value>>,
    #[oai(read_only)]
    pub groups: Option<Vec<MultiValue>>,
    pub entitlements: Option<Vec<MultiValue>>,
    pub roles: Option<Vec<MultiValue>>,
    #[oai(rename = "x509Certificates")]
    pub x509_certificates: Option<Vec<MultiValue>>,
    #[oai(rename = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")]
    pub enterprise: Option<EnterpriseUser>,
    #[oai(read_only)]
    pub meta: Option<Meta>,
}

/// A SCIM Group (RFC 7643 §4.2).
#[derive(Object)]
#[oai(rename = "Group")]
pub struct Group {
    pub schemas: Vec<String>,
    #[oai(read_only)]
    pub id: Option<String>,
    #[oai(rename = "externalId")]
    pub external_id: Option<String>,
    #[oai(rename = "displayName")]
    pub display_name: String,
    pub members: Option<Vec<MultiValue>>,
    #[oai(read_only)]
    pub meta: Option<Meta>,
}

/// RFC 7644 §3.4.2 list response.
#[derive(Object)]
#[oai(rename = "ListResponse")]
pub struct ListResponse {
    pub schemas: Vec<String>,
    #[oai(rename = "totalResults")]
    pub total_results: i64,
    #[oai(rename = "itemsPerPage")]
    pub items_per_page: i64,
    /// Index paging only.
    #[oai(rename = "startIndex")]
    pub start_index: Option<i64>,
    /// Cursor paging (RFC 9865): the cursor of the next page, absent on the last one.
    #[oai(rename = "nextCursor")]
    pub next_cursor: Option<String>,
    #[oai(rename = "Resources")]
    pub resources: Vec<Value>,
}

/// One PATCH operation (RFC 7644 §3.5.2); `op` is case-insensitive.
#[derive(Object)]
pub struct PatchOperation {
    pub op: String,
    pub path: Option<String>,
    pub value: Option<Value>,
}

/// RFC 7644 §3.5.2 PatchOp request.
#[derive(Object)]
#[oai(rename = "PatchOp")]
pub struct PatchOp {
    pub schemas: Vec<String>,
    #[oai(rename = "Operations")]
    pub operations: Vec<PatchOperation>,
}

/// A discovery document (ServiceProviderConfig, ResourceType or Schema, RFC 7643 §5–§7).
#[derive(Object)]
#[oai(rename = "DiscoveryDocument")]
pub struct Discovery {
    pub schemas: Vec<String>,
    pub meta: Option<Value>,
}

/// RFC 7644 §3.4.3 SearchRequest.
#[derive(Object)]
#[oai(rename = "SearchRequest")]
pub struct SearchRequest {
    pub schemas: Vec<String>,
    pub attributes: Option<Vec<String>>,
    #[oai(rename = "excludedAttributes")]
    pub excluded_attributes: Option<Vec<String>>,
    pub filter: Option<String>,
    #[oai(rename = "sortBy")]
    pub sort_by: Option<String>,
    #[oai(rename = "sortOrder")]
    pub sort_order: Option<String>,
    #[oai(rename = "startIndex")]
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    /// RFC 9865 cursor.
    pub cursor: Option<String>,
}

/// One operation of a BulkRequest (RFC 7644 §3.7).
#[derive(Object)]
pub struct BulkOperation {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    pub method: String,
    /// Required for a POST; `"bulkId:<bulkId>"` then stands for the new resource's id in the
    /// request's other operations (in `members` and `manager` values and in paths).
    #[oai(rename = "bulkId")]
    pub bulk_id: Option<String>,
    /// For PUT, PATCH and DELETE: the ETag the resource must have, as `If-Match`.
    pub version: Option<String>,
    /// `/Users` or `/Groups` for a POST, `/Users/{id}` (or `/Users/bulkId:<bulkId>`) otherwise.
    pub path: String,
    /// The body of the single request: a User, a Group or a PatchOp.
    pub data: Option<Value>,
}

/// RFC 7644 §3.7 BulkRequest.
#[derive(Object)]
#[oai(rename = "BulkRequest")]
pub struct BulkRequest {
    pub schemas: Vec<String>,
    /// Stop after this many failed operations.
    #[oai(rename = "failOnErrors")]
    pub fail_on_errors: Option<i64>,
    #[oai(rename = "Operations")]
    pub operations: Vec<BulkOperation>,
}

/// The result of one operation of a bulk request (RFC 7644 §3.7.3).
#[derive(Object)]
pub struct BulkOperationResult {
    /// The resource's URL (absent for a failed POST).
    pub location: Option<String>,
    pub method: Option<String>,
    #[oai(rename = "bulkId")]
    pub bulk_id: Option<String>,
    /// The resource's new ETag.
    pub version: Option<String>,
    /// The HTTP status the single request would have had, e.g. `"201"`.
    pub status: String,
    /// The SCIM Error of a failed operation.
    pub response: Option<Value>,
}

/// RFC 7644 §3.7 BulkResponse: the operations that ran, in request order.
#[derive(Object)]
#[oai(rename = "BulkResponse")]
pub struct BulkResponse {
    pub schemas: Vec<String>,
    #[oai(rename = "Operations")]
    pub operations: Vec<BulkOperationResult>,
}
