// Starts Swagger UI on /api/docs from local files (a file, not an inline script: the page's
// Content-Security-Policy allows scripts from this site only). See web/headers.py.
(function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
