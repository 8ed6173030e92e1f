// Sites map: Leaflet with the shipped region outline and the sites as circles. No tile server.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25 });
  function fit(layer) { try { map.fitBounds(layer.getBounds(), { padding: [20, 20] }); } catch (e) { map.setView([40.3, 47.5], 7); } }
  fetch("/static/geo/region.geojson").then(function (r) { return r.json(); }).then(function (geo) {
    var outline = L.geoJSON(geo, {
      style: function (f) {
        return f.properties.kind === "region"
          ? { color: "#b54708", weight: 2, dashArray: "6 4", fillOpacity: 0.08 }
          : { color: "#13324a", weight: 1.5, fillColor: "#f4f1e8", fillOpacity: 1 };
      },
      onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.name); }
    }).addTo(map);
    fit(outline);
    return fetch(el.dataset.sites, { credentials: "same-origin" });
  }).then(function (r) { return r.json(); }).then(function (sites) {
    sites.features.forEach(function (f) {
      var p = f.properties, c = f.geometry.coordinates;
      var radius = 5 + Math.min(15, Math.sqrt(p.n_remains || 0) * 2);
      L.circleMarker([c[1], c[0]], {
        radius: radius, color: p.site_type === "mass_grave" ? "#b42318" : "#2c6e9b", weight: 2, fillOpacity: 0.6
      }).bindPopup('<a href="/sites/' + p.id + '">' + p.name.replace(/</g, "&lt;") + "</a><br>" +
                   p.site_type + " · " + (p.n_remains || 0) + " remains")
        .addTo(map);
    });
    el.dataset.loaded = String(sites.features.length);
  }).catch(function (e) { el.dataset.error = String(e); });
})();
