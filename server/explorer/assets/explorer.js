// The explorer page's script (no inline script: the page's policy is script-src 'self').
// It mounts GraphiQL on the example tabs and keeps headers, and so the API key, out of the
// browser's storage unless the user ticks "Remember headers".
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  var persistBox = document.getElementById('persist-headers');
  var restoreButton = document.getElementById('restore-examples');
  var OPT_IN = 'licensing-api:persistHeaders';
  var NS = 'graphiql:'; // GraphiQL's prefix for what it stores

  if (!window.React || !window.ReactDOM || !window.GraphiQL) {
    root.textContent = 'The explorer\u2019s scripts did not load; reload the page.';
    return;
  }
  // GraphiQL's dialogs inject a <style> element and give it this nonce, which the page's
  // policy allows (the browser hides the nonce attribute; the property keeps it).
  window.__webpack_nonce__ = document.currentScript.nonce;
  var persist = localStorage.getItem(OPT_IN) === 'true';
  persistBox.checked = persist;

  // withoutHeaders returns what GraphiQL may store under key once headers are removed. Besides
  // the headers editor and the open tabs, which GraphiQL's shouldPersistHeaders covers, its
  // history (queries, favorites) keeps each run's headers whatever that setting says.
  function withoutHeaders(key, value) {
    if (key === NS + 'headers') return '';
    if (key !== NS + 'tabState' && key !== NS + 'queries' && key !== NS + 'favorites') return value;
    try {
      return JSON.stringify(JSON.parse(value), function (k, v) { return k === 'headers' ? null : v; });
    } catch (e) {
      return '';
    }
  }

  function graphiqlKeys() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf(NS) === 0) keys.push(k);
    }
    return keys;
  }

  function store(key, value) {
    if (!persist) value = withoutHeaders(key, value);
    if (value) localStorage.setItem(key, value); else localStorage.removeItem(key);
  }

  // GraphiQL's storage: localStorage, with every write going through store.
  var storage = {
    getItem: function (key) { return localStorage.getItem(key); },
    setItem: store,
    removeItem: function (key) { localStorage.removeItem(key); },
    clear: function () { graphiqlKeys().forEach(function (k) { localStorage.removeItem(k); }); },
    get length() { return graphiqlKeys().length; }
  };

  var fetcher = GraphiQL.createFetcher({ url: new URL(root.dataset.endpoint, location.href).href });
  var reactRoot = ReactDOM.createRoot(root);
  function render() {
    reactRoot.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: storage,
      defaultTabs: window.licensingExamples || [],
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: persist,
      // One switch for it, the checkbox above, rather than a second one in GraphiQL's settings.
      showPersistHeadersSettings: false
    }));
  }

  persistBox.addEventListener('change', function () {
    persist = persistBox.checked;
    if (persist) {
      localStorage.setItem(OPT_IN, 'true');
    } else {
      localStorage.removeItem(OPT_IN);
      graphiqlKeys().forEach(function (k) { store(k, localStorage.getItem(k)); });
    }
    render(); // GraphiQL then saves, or drops, the current headers itself
  });

  restoreButton.addEventListener('click', function () {
    if (!window.confirm('Replace the open tabs with the example tabs?')) return;
    ['tabState', 'query', 'variables', 'headers', 'operationName'].forEach(function (k) {
      localStorage.removeItem(NS + k);
    });
    location.reload();
  });

  render();
})();
