// mallgraph's GraphiQL start-up (ours, not vendored): queries and mutations over HTTP POST and
// subscriptions over graphql-transport-ws, both at this page's own URL; the explorer plugin; the
// headers editor open, where a token goes as {"Authorization": "Bearer …"}.
(function () {
  "use strict";

  var url = window.location.href.split(/[?#]/)[0];
  var fetcher = GraphiQL.createFetcher({ url: url, subscriptionUrl: url.replace(/^http/, "ws") });

  var defaultQuery = [
    "# mallgraph's GraphQL API. Run with Ctrl-Enter or the ▶ button; the book icon opens the docs.",
    "#",
    "# Anonymous callers may browse the catalogue. For more, mint a token",
    "# (`mallgraph token --role HQ_ADMIN`) and put it in Headers below:",
    '#   {"Authorization": "Bearer <token>"}',
    "",
    "{",
    "  categories {",
    "    name",
    "  }",
    "}",
    "",
  ].join("\n");

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      defaultQuery: defaultQuery,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    }),
  );
})();
