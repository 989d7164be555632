//! `Written<T>`: a JSON response of the host application's API written by serde, documented as
//! poem-openapi's `Json<T>` is. poem-openapi writes a body through `ToJSON`, which copies every
//! JSON value the body holds into a new tree first: for a page of events, each event's snapshot
//! of its user or group, copied only to be serialized once.

use poem::{IntoResponse, Response};
use poem_openapi::ApiResponse;
use poem_openapi::payload::{Json, Payload};
use poem_openapi::registry::{MetaResponses, MetaSchemaRef, Registry};
use poem_openapi::types::{ToJSON, Type};
use serde::Serialize;

/// A response body serialized as it is; `T`'s serde and poem-openapi field names must agree.
pub struct Written<T>(pub T);

impl<T: Type> Payload for Written<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        <Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Serialize + Send> IntoResponse for Written<T> {
    fn into_response(self) -> Response {
        poem::web::Json(self.0).into_response()
    }
}

impl<T: ToJSON + Serialize + Send> ApiResponse for Written<T> {
    fn meta() -> MetaResponses {
        <Json<T> as ApiResponse>::meta()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}
