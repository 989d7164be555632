//! The endpoint declarations shared by `/Users` and `/Groups`, generated for each resource type
//! so that both expose the same operations, parameters and documented responses. The work is in
//! the service layer (`crate::service`); each resource module supplies only its names, body schema and PATCH answer.

/// Declares a poem-openapi API for one resource type.
macro_rules! resource_api {
    (
        api: $api:ident,
        kind: $kind:expr,
        tag: $tag:expr,
        body: $doc:ty,
        docs: {
            create: $create_doc:tt,
            get: $get_doc:tt,
            list: $list_doc:tt,
            search: $search_doc:tt,
            replace: $replace_doc:tt,
            patch: $patch_doc:tt,
            delete: $delete_doc:tt $(,)?
        },
        collection: $collection:literal,
        item: $item:literal,
        search: $search:literal,
        patched: $patched:ty,
        patch_answer: $patch_answer:path $(,)?
    ) => {
        type Body = $crate::http::payload::ScimJson<$crate::http::payload::Doc<$doc>>;

        /// A created resource.
        #[derive(poem_openapi::ApiResponse)]
        pub enum Created {
            /// The created resource, with its URL in `Location`.
            #[oai(status = 201)]
            Created(
                Body,
                #[oai(header = "Location")] String,
                #[oai(header = "ETag")] String,
            ),
        }

        /// A resource after a read or a write.
        #[derive(poem_openapi::ApiResponse)]
        pub enum Found {
            /// The resource.
            #[oai(status = 200)]
            Ok(
                Body,
                #[oai(header = "Location")] String,
                #[oai(header = "ETag")] String,
            ),
        }

        /// A resource, or "not modified" for a conditional read.
        #[derive(poem_openapi::ApiResponse)]
        pub enum Fetched {
            /// The resource.
            #[oai(status = 200)]
            Ok(
                Body,
                #[oai(header = "Location")] String,
                #[oai(header = "ETag")] String,
            ),
            /// `If-None-Match` named the current version.
            #[oai(status = 304)]
            NotModified(#[oai(header = "ETag")] String),
        }

        /// A deleted resource.
        #[derive(poem_openapi::ApiResponse)]
        pub enum Deleted {
            /// Deleted.
            #[oai(status = 204)]
            NoContent,
        }

        fn found(r: $crate::service::Rendered) -> Found {
            Found::Ok(
                $crate::http::payload::ScimJson($crate::http::payload::Doc::new(r.body)),
                r.location,
                r.etag,
            )
        }

        #[doc = concat!("The `", $collection, "` endpoints.")]
        pub struct $api;

        #[poem_openapi::OpenApi(tag = $tag)]
        impl $api {
            #[doc = $create_doc]
            #[oai(path = $collection, method = "post")]
            async fn create(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                body: Body,
            ) -> Result<Created, $crate::http::error::ErrorResponse> {
                let r = state.service.create(&auth.0, $kind, &body.0.0).await?;
                Ok(Created::Created(
                    $crate::http::payload::ScimJson($crate::http::payload::Doc::new(r.body)),
                    r.location,
                    r.etag,
                ))
            }

            #[doc = $get_doc]
            #[oai(path = $item, method = "get")]
            async fn get(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                id: poem_openapi::param::Path<String>,
                attributes: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "excludedAttributes")] excluded_attributes: poem_openapi::param::Query<
                    Option<String>,
                >,
                #[oai(name = "If-None-Match")] if_none_match: poem_openapi::param::Header<
                    Option<String>,
                >,
            ) -> Result<Fetched, $crate::http::error::ErrorResponse> {
                let attrs = $crate::service::Attrs {
                    attributes: attributes.as_deref(),
                    excluded: excluded_attributes.as_deref(),
                };
                let read = state
                    .service
                    .get(&auth.0, $kind, &id, attrs, if_none_match.as_deref())
                    .await?;
                Ok(match read {
                    $crate::service::Read::Found(r) => Fetched::Ok(
                        $crate::http::payload::ScimJson($crate::http::payload::Doc::new(r.body)),
                        r.location,
                        r.etag,
                    ),
                    $crate::service::Read::NotModified(etag) => Fetched::NotModified(etag),
                })
            }

            #[doc = $list_doc]
            #[oai(path = $collection, method = "get")]
            #[allow(clippy::too_many_arguments)]
            async fn list(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                filter: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "sortBy")] sort_by: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "sortOrder")] sort_order: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "startIndex")] start_index: poem_openapi::param::Query<Option<i64>>,
                count: poem_openapi::param::Query<Option<i64>>,
                /// RFC 9865 cursor: empty for the first page, then the previous page's `nextCursor`.
                cursor: poem_openapi::param::Query<Option<String>>,
                attributes: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "excludedAttributes")] excluded_attributes: poem_openapi::param::Query<
                    Option<String>,
                >,
            ) -> Result<
                $crate::http::payload::ScimJson<
                    $crate::http::payload::Doc<$crate::http::docs::ListResponse>,
                >,
                $crate::http::error::ErrorResponse,
            > {
                let params = $crate::service::ListParams {
                    input: $crate::service::list_params::ListInput {
                        filter: filter.as_deref(),
                        sort_by: sort_by.as_deref(),
                        sort_order: sort_order.as_deref(),
                        start_index: start_index.0,
                        count: count.0,
                        cursor: cursor.as_deref(),
                    },
                    attrs: $crate::service::Attrs {
                        attributes: attributes.as_deref(),
                        excluded: excluded_attributes.as_deref(),
                    },
                };
                let body = state.service.list(&auth.0, $kind, params).await?;
                Ok($crate::http::payload::ScimJson(
                    $crate::http::payload::Doc::new(body),
                ))
            }

            #[doc = $search_doc]
            #[oai(path = $search, method = "post")]
            async fn search(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                body: $crate::http::payload::ScimJson<
                    $crate::http::payload::Doc<$crate::http::docs::SearchRequest>,
                >,
            ) -> Result<
                $crate::http::payload::ScimJson<
                    $crate::http::payload::Doc<$crate::http::docs::ListResponse>,
                >,
                $crate::http::error::ErrorResponse,
            > {
                let request = $crate::http::search::SearchRequest::parse(&body.0.0)?;
                let found = state.service.list(&auth.0, $kind, request.params()).await?;
                Ok($crate::http::payload::ScimJson(
                    $crate::http::payload::Doc::new(found),
                ))
            }

            #[doc = $replace_doc]
            #[oai(path = $item, method = "put")]
            #[allow(clippy::too_many_arguments)]
            async fn replace(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                id: poem_openapi::param::Path<String>,
                #[oai(name = "If-Match")] if_match: poem_openapi::param::Header<Option<String>>,
                #[oai(name = "If-None-Match")] if_none_match: poem_openapi::param::Header<
                    Option<String>,
                >,
                body: Body,
            ) -> Result<Found, $crate::http::error::ErrorResponse> {
                let r = state
                    .service
                    .replace(
                        &auth.0,
                        $kind,
                        &id,
                        &body.0.0,
                        $crate::service::Conditions {
                            if_match: if_match.as_deref(),
                            if_none_match: if_none_match.as_deref(),
                        },
                    )
                    .await?;
                Ok(found(r))
            }

            #[doc = $patch_doc]
            #[oai(path = $item, method = "patch")]
            #[allow(clippy::too_many_arguments)]
            async fn patch(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                id: poem_openapi::param::Path<String>,
                attributes: poem_openapi::param::Query<Option<String>>,
                #[oai(name = "excludedAttributes")] excluded_attributes: poem_openapi::param::Query<
                    Option<String>,
                >,
                #[oai(name = "If-Match")] if_match: poem_openapi::param::Header<Option<String>>,
                #[oai(name = "If-None-Match")] if_none_match: poem_openapi::param::Header<
                    Option<String>,
                >,
                body: $crate::http::payload::ScimJson<
                    $crate::http::payload::Doc<$crate::http::docs::PatchOp>,
                >,
            ) -> Result<$patched, $crate::http::error::ErrorResponse> {
                let attrs = $crate::service::Attrs {
                    attributes: attributes.as_deref(),
                    excluded: excluded_attributes.as_deref(),
                };
                let asked = attrs.given();
                let r = state
                    .service
                    .patch(
                        &auth.0,
                        $kind,
                        &id,
                        &body.0.0,
                        attrs,
                        $crate::service::Conditions {
                            if_match: if_match.as_deref(),
                            if_none_match: if_none_match.as_deref(),
                        },
                    )
                    .await?;
                Ok($patch_answer(r, asked))
            }

            #[doc = $delete_doc]
            #[oai(path = $item, method = "delete")]
            async fn delete(
                &self,
                auth: $crate::http::auth::BearerAuth,
                state: poem::web::Data<&std::sync::Arc<$crate::http::AppState>>,
                id: poem_openapi::param::Path<String>,
                #[oai(name = "If-Match")] if_match: poem_openapi::param::Header<Option<String>>,
                #[oai(name = "If-None-Match")] if_none_match: poem_openapi::param::Header<
                    Option<String>,
                >,
            ) -> Result<Deleted, $crate::http::error::ErrorResponse> {
                state
                    .service
                    .delete(
                        &auth.0,
                        $kind,
                        &id,
                        $crate::service::Conditions {
                            if_match: if_match.as_deref(),
                            if_none_match: if_none_match.as_deref(),
                        },
                    )
                    .await?;
                Ok(Deleted::NoContent)
            }
        }
    };
}
pub(crate) use resource_api;
