// The detector map's selector (map.html): shows one fill of each module at a time, its
// overall health or one test type's latest verdict. Each module's box holds one <rect> per
// view (data-view); this shows those of the chosen view. Without scripts the map shows the
// overall health and the selector stays hidden. No network, works from file://.
(function () {
  'use strict';
  var selector = document.getElementById('map-view');
  if (!selector) { return; }
  var rects = document.querySelectorAll('svg.map rect.v');
  var caption = document.getElementById('map-shown');
  function show(input) {
    var view = input.value;
    for (var i = 0; i < rects.length; i++) {
      rects[i].setAttribute('display', rects[i].getAttribute('data-view') === view ? 'inline' : 'none');
    }
    if (caption) { caption.textContent = input.getAttribute('data-caption'); }
  }
  selector.addEventListener('change', function (event) {
    if (event.target.name === 'map-view') { show(event.target); }
  });
  selector.hidden = false;
  var chosen = selector.querySelector('input:checked');
  if (chosen) { show(chosen); }
}());
