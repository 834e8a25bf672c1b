// Starts Swagger UI on the merged OpenAPI document. Everything is served by the gateway itself: no CDN, and
// no online validator (validatorUrl: null), so the page works without any outside network access.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
