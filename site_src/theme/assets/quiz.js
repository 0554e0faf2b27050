// Quizzes and solutions at the end of a lesson (see site_src/exercises.py). A quiz is graded
// here, in the page: nothing is sent anywhere. Printing opens every solution.
(function () {
  'use strict';

  function check(form, event) {
    event.preventDefault();
    var status = form.querySelector('.quiz-status');
    var picked = form.querySelector('input[type=radio]:checked');
    var choices = Array.prototype.slice.call(form.querySelectorAll('.quiz-choice'));
    if (!picked) {
      status.textContent = 'Pick one of the choices first.';
      return;
    }
    var choice = picked.closest('.quiz-choice');
    var right = choice.getAttribute('data-right') === 'true';
    choices.forEach(function (c) {
      var why = c.querySelector('.quiz-why');
      // Once the right answer is found, every explanation is there to read
      why.hidden = !(c === choice || right);
      c.classList.remove('quiz-picked-right', 'quiz-picked-wrong');
    });
    choice.classList.add(right ? 'quiz-picked-right' : 'quiz-picked-wrong');
    picked.setAttribute('aria-describedby', choice.querySelector('.quiz-why').id);
    // (The explanation itself sits under the choice, math and all; the choice points to it)
    status.textContent = right ? 'Right. Every choice now shows why it is right or not.'
      : 'Not quite: the explanation is under your choice. Try another one.';
  }

  document.querySelectorAll('form[data-quiz]').forEach(function (form) {
    form.addEventListener('submit', function (event) { check(form, event); });
  });

  // Print: every solution open (and closed again afterwards, as the reader left them)
  var opened = [];
  window.addEventListener('beforeprint', function () {
    opened = Array.prototype.filter.call(document.querySelectorAll('.exercises details'),
      function (d) { return !d.open; });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
}());
