use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn zz_probe() {
    let app = TestApp::spawn().await;
    let doc: Value = app.client.get(format!("{}/openapi.json", app.address)).send().await.unwrap().json().await.unwrap();
    println!("servers {}", doc["servers"]);
    println!("paths {:?}", doc["paths"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_object().unwrap().keys().cloned().collect::<Vec<_>>())).collect::<Vec<_>>());
    println!("sec {}", doc["components"]["securitySchemes"]);
    println!("users get security {}", doc["paths"]["/Users"]["get"]["security"]);
    let r = app.client.get(format!("{}/docs", app.address)).send().await.unwrap();
    println!("docs {} {:?} {}", r.status(), r.headers().get("content-type"), &r.text().await.unwrap()[..200]);
    for (m, p) in [("POST", "/ServiceProviderConfig"), ("PUT", "/Schemas"), ("DELETE", "/ResourceTypes/User"), ("PATCH", "/Users")] {
        let r = app.request(reqwest::Method::from_bytes(m.as_bytes()).unwrap(), p, Some(json!({}))).await;
        println!("{m} {p} {} {:?} {}", r.status(), r.headers().get("content-type"), r.text().await.unwrap());
    }
    let r = app.client.get(format!("{}/healthz", app.address)).send().await.unwrap();
    println!("health {} {:?} {}", r.status(), r.headers().get("content-type"), r.text().await.unwrap());
    let r = app.client.get(format!("{}/Schemas", app.base)).send().await.unwrap();
    println!("noauth {} {:?} {}", r.status(), r.headers(), r.text().await.unwrap());
    let r = app.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await;
    println!("schema {}", r.status());
    let r = app.get("/Users?attributes=userName").await;
    println!("{}", r.text().await.unwrap());
    app.create_user("bob").await;
    let r = app.get("/Users?attributes=userName&count=0").await;
    println!("{}", r.text().await.unwrap());
    let r = app.get("/Users?attributes=userName").await;
    println!("{}", r.text().await.unwrap());
    let r = app.get("/Users?count=abc").await;
    println!("{}", r.text().await.unwrap());
    let r = app.get("/Nope").await;
    println!("{} {}", r.status(), r.text().await.unwrap());
}
