// Swagger UI over this API's OpenAPI document; the paths are relative to the page (GET /docs), so
// they resolve the same locally and behind an API Gateway stage.
window.addEventListener("load", () => {
  window.ui = window.SwaggerUIBundle({
    url: "v1/openapi.json",
    dom_id: "#reference",
    deepLinking: true,
    displayOperationId: true, // the generated clients' function names
    validatorUrl: null, // never ask an outside validator about the document
  });
});
