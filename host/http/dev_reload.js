// Planck dev reload (served at /_planck/assets/dev-reload.js): listens to /_planck/dev/events and,
// when a service is redeployed, swaps in the page's new <body> without a manual reload (and
// re-initialises htmx on it); a page without a body to swap is reloaded. Used by `planck dev`.
(() => {
  let seen = null;
  const refresh = async () => {
    try {
      const response = await fetch(location.href, { headers: { "x-planck-dev": "reload" } });
      const next = new DOMParser().parseFromString(await response.text(), "text/html");
      document.title = next.title;
      document.body.replaceWith(document.adoptNode(next.body));
      if (globalThis.htmx) globalThis.htmx.process(document.body);
      document.dispatchEvent(new CustomEvent("planck:reloaded", { detail: { generation: seen } }));
    } catch {
      location.reload();
    }
  };
  const source = new EventSource("/_planck/dev/events");
  source.addEventListener("generation", (event) => {
    const generation = JSON.parse(event.data).generation;
    if (seen !== null && generation !== seen) refresh();
    seen = generation;
  });
})();
