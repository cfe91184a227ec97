// The query page's editor: YASGUI (vendored, see yasgui.LICENSE) against this endpoint only.
// Loaded as an external file (the Content-Security-Policy allows no inline script); without
// JavaScript the plain form above stays in use.
(function () {
  "use strict";
  var el = document.getElementById("yasgui");
  if (!el || typeof Yasgui === "undefined") return;
  var endpoint = el.getAttribute("data-endpoint");
  var textarea = document.getElementById("query");
  // Offline: no LOV look-ups (class and property completion) and no prefix.cc.
  Yasgui.Yasqe.defaults.autocompleters = Yasgui.Yasqe.defaults.autocompleters.filter(
    function (name) { return name !== "class" && name !== "property"; });
  // Results read as values (no datatypes, no cut-off cells) unless the reader asks.
  var Table = Yasgui.Yasr && Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table;
  if (Table && Table.prototype.draw) {
    var draw = Table.prototype.draw;
    Table.prototype.draw = function (config) {
      return draw.call(this, Object.assign({ compact: true, isEllipsed: false }, config));
    };
  }
  var yasgui = new Yasgui(el, {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: false,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: { prefixCcApi: "", value: textarea ? textarea.value : "" },
  });
  var tab = yasgui.getTab();
  if (textarea) tab.setQuery(textarea.value);
  document.body.classList.add("js-editor");
  // YASGUI's own controls carry no names a screen reader could announce: give them some.
  function name(selector, label) {
    el.querySelectorAll(selector).forEach(function (node) {
      if (!node.hasAttribute("aria-label")) node.setAttribute("aria-label", label);
    });
  }
  name(".CodeMirror textarea", "SPARQL query");
  name("input.autocomplete", "SPARQL endpoint");

  var downloads = document.getElementById("editor-downloads");
  function refreshDownloads() {
    if (!downloads) return;
    var query = tab.getQuery();
    downloads.querySelectorAll("a[data-format]").forEach(function (a) {
      a.href = endpoint + "?" + new URLSearchParams({ query: query, format: a.getAttribute("data-format") });
    });
  }
  tab.on("change", refreshDownloads);
  refreshDownloads();

  // The example queries: one click puts them in the editor and runs them.
  document.querySelectorAll("a[data-example]").forEach(function (a) {
    a.addEventListener("click", function (event) {
      event.preventDefault();
      var text = a.getAttribute("data-example");
      tab.setQuery(text);
      refreshDownloads();
      tab.query();
      el.scrollIntoView();
    });
  });
})();
