//! `tests/pagers/versions.rs`: a test of every pager of every version, against a server on
//! 127.0.0.1 that answers with pages made from the operation's success example. A version
//! that gains or loses a paged operation gains or loses its test with no test code.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::json;

use super::docs;
use crate::diagnostics::{Diagnostic, pointer};
use crate::model::{Method, MethodKind, Version};
use crate::rust_types::{Builtin, Runtime, RustType};

/// The cursor the first page hands on.
const NEXT: &str = "page-2";

/// The file: one module per version that has a pager; and a problem for each pager whose
/// operation gives no example to make pages of, rather than a pager left untested.
pub fn pager_tests_file(versions: &[Version]) -> (TokenStream, Vec<Diagnostic>) {
    let mut problems = Vec::new();
    let modules: Vec<TokenStream> = versions
        .iter()
        .filter_map(|version| pager_tests(version, &mut problems))
        .collect();
    let file = quote! {
        //! One module per version that has a pager, each behind its feature.

        #(#modules)*
    };
    (file, problems)
}

/// The module of a version's pager tests; `None` when it has no pager.
fn pager_tests(version: &Version, problems: &mut Vec<Diagnostic>) -> Option<TokenStream> {
    let tests: Vec<TokenStream> = version
        .methods
        .iter()
        .filter(|method| method.kind == MethodKind::Pages)
        .filter_map(|method| {
            pager_test(version, method)
                .map_err(|problem| problems.push(problem))
                .ok()
        })
        .collect();
    if tests.is_empty() {
        return None;
    }
    let module = format_ident!("{}", version.module);
    Some(super::version_test_module(
        version,
        quote! {
            use futures_util::StreamExt;
            use hubspot_associations::#module::Client;

            use crate::reads_every_page_once;

            #(#tests)*
        },
    ))
}

/// An argument of a pager call that any server accepts; `object_types` counts the object types
/// before it, so that the first reads `contacts` and the next `companies`.
fn argument(version: &Version, ty: &RustType, object_types: &mut usize) -> TokenStream {
    let module = format_ident!("{}", version.module);
    let into = |runtime: Runtime| *ty == RustType::ImplInto(Box::new(RustType::Runtime(runtime)));
    match ty {
        _ if into(Runtime::ObjectType) => {
            *object_types += 1;
            match object_types {
                1 => quote!("contacts"),
                _ => quote!("companies"),
            }
        }
        _ if into(Runtime::ObjectId) => quote!("1"),
        RustType::Ref(inner) if **inner == RustType::Builtin(Builtin::Str) => quote!("1"),
        RustType::Query(query) => {
            let query = format_ident!("{query}");
            quote!(hubspot_associations::#module::#query::default())
        }
        _ => quote!(Default::default()),
    }
}

/// The test of one pager: two pages made from the example, the first with a cursor, read to
/// the end; then a page whose cursor repeats, which ends the stream with an error.
fn pager_test(version: &Version, method: &Method) -> Result<TokenStream, Diagnostic> {
    let unreadable = |operation: &str, path: &str, http_method: &str| {
        Diagnostic::new(
            &version.source,
            pointer(["paths", path, &http_method.to_lowercase(), "responses"]),
            format!(
                "the pager `{}` cannot be tested: the first success of `{operation}` has no \
                 example object with a `results` list",
                method.name
            ),
            "give the first success an `example:` of a page, with `results` holding items",
        )
    };
    let operation = version
        .operations
        .iter()
        .find(|op| op.id == method.operation)
        .ok_or_else(|| {
            Diagnostic::new(
                &version.source,
                "",
                format!(
                    "the pager `{}` calls `{}`, which the version does not have",
                    method.name, method.operation
                ),
                "this is a generator bug; report it with the spec",
            )
        })?;
    let problem = || {
        unreadable(
            &operation.id,
            &operation.path.to_string(),
            operation.method.as_str(),
        )
    };
    let cursor = operation
        .pagination
        .as_ref()
        .and_then(|pagination| {
            operation
                .params
                .iter()
                .find(|param| param.rust_name == pagination.cursor_param)
        })
        .ok_or_else(problem)?
        .api_name
        .clone();
    let example = operation
        .success_example
        .clone()
        .filter(|example| example.get("results").is_some_and(|r| r.is_array()))
        .ok_or_else(problem)?;
    let per_page = example["results"].as_array().map_or(0, Vec::len);
    let mut first = example.clone();
    first["paging"] = json!({"next": {"after": NEXT}});
    let mut last = example;
    if let Some(page) = last.as_object_mut() {
        page.remove("paging");
    }
    let (first, last) = (
        raw_string(&first.to_string()),
        raw_string(&last.to_string()),
    );
    let mut object_types = 0;
    let args: Vec<TokenStream> = method
        .args
        .iter()
        .map(|arg| argument(version, &arg.ty, &mut object_types))
        .collect();
    let name = format_ident!("{}", method.name);
    let followed = format!("{cursor}={NEXT}");
    let every_item = proc_macro2::Literal::usize_unsuffixed(per_page * 2);
    let doc = docs(&format!(
        "`{}` reads both pages, the second with `{followed}` from the first; then a cursor that \
         repeats ends it with an error.",
        method.name
    ));
    Ok(quote! {
        #doc
        #[tokio::test]
        async fn #name() {
            const FIRST: &str = #first;
            const LAST: &str = #last;
            reads_every_page_once(FIRST, LAST, #every_item, #followed, |transport| async move {
                Client::new(transport)
                    .#name(#(#args),*)
                    .collect::<Vec<_>>()
                    .await
            })
            .await;
        }
    })
}

/// `text` as a raw string literal, as a person writes JSON in Rust; a plain literal when the
/// text would end a raw one.
fn raw_string(text: &str) -> TokenStream {
    if text.contains("\"#") {
        return quote!(#text);
    }
    format!("r#\"{text}\"#")
        .parse()
        .unwrap_or_else(|_| quote!(#text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{SpecSource, parse};
    use crate::model;

    fn version(example: &str) -> Version {
        let text = format!(
            r#"
openapi: 3.0.3
info: {{title: t, version: v9, x-hubspot-lifecycle: {{status: beta}}}}
paths:
  /crm/v9/things:
    get:
      operationId: list
      parameters: [{{name: after, in: query, schema: {{type: string}}, example: x}}]
      responses:
        '200':
          description: a page
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Page'}}
              example: {example}
components:
  schemas:
    Page:
      type: object
      properties:
        results: {{type: array, items: {{$ref: '#/components/schemas/Thing'}}}}
        paging: {{$ref: '#/components/schemas/Paging'}}
    Paging: {{type: object, properties: {{next: {{$ref: '#/components/schemas/Next'}}}}}}
    Next: {{type: object, required: [after], properties: {{after: {{type: string}}}}}}
    Thing: {{type: object, properties: {{id: {{type: string}}}}}}
"#
        );
        let spec = parse(&SpecSource {
            version: "v9".into(),
            path: "spec/v9/openapi.yaml".into(),
            text,
        })
        .unwrap();
        model::versions(&[spec]).unwrap().remove(0)
    }

    #[test]
    fn a_pager_gets_a_test_made_of_its_example_pages() {
        let (file, problems) =
            pager_tests_file(&[version(r#"{"results": [{"id": "1"}, {"id": "2"}]}"#)]);
        assert!(problems.is_empty(), "{problems:?}");
        let text = file.to_string();
        assert!(text.contains("async fn list_stream"), "{text}");
        assert!(text.contains(r#""after":"page-2""#), "{text}");
        assert!(
            text.contains("reads_every_page_once (FIRST , LAST , 4 ,"),
            "{text}"
        );
    }

    #[test]
    fn a_pager_without_an_example_page_is_a_problem_not_an_untested_pager() {
        let (file, problems) = pager_tests_file(&[version(r#"{"things": []}"#)]);
        assert!(!file.to_string().contains("list_stream"));
        let problems: Vec<String> = problems
            .iter()
            .map(|d| format!("{} {}", d.pointer, d.problem))
            .collect();
        assert_eq!(
            problems,
            [
                "/paths/~1crm~1v9~1things/get/responses the pager `list_stream` cannot be tested: the first success of `list` has no example object with a `results` list"
            ]
        );
    }
}
