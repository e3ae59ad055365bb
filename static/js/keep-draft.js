// Keeps what a person types into a form marked data-keep-draft in this browser until
// the form is sent, so a visit written up on a tablet at a site survives a lost
// connection, a closed tab or a reload. Sending while offline is stopped with a clear
// message instead of an error page, and nothing typed is lost.
for (const form of document.querySelectorAll('form[data-keep-draft]')) {
  const key = `draft:${window.location.pathname}`
  const fields = () => [...form.elements].filter(
    (el) => el.name && el.name !== 'csrfmiddlewaretoken' && el.type !== 'submit'
  )
  const notice = document.createElement('div')
  notice.className = 'govuk-inset-text'
  notice.setAttribute('role', 'status')
  notice.hidden = true
  form.prepend(notice)
  const say = (text) => { notice.textContent = text; notice.hidden = !text }

  const save = () => {
    const draft = {}
    for (const el of fields()) {
      if (el.type === 'checkbox' || el.type === 'radio') {
        if (el.checked) (draft[el.name] ||= []).push(el.value)
      } else {
        draft[el.name] = el.value
      }
    }
    try { window.localStorage.setItem(key, JSON.stringify(draft)) } catch (e) { /* full or off */ }
  }

  const restore = () => {
    let draft = null
    try { draft = JSON.parse(window.localStorage.getItem(key) || 'null') } catch (e) { draft = null }
    // A page that came back with errors already shows what was sent.
    if (!draft || document.querySelector('.govuk-error-summary')) return
    for (const el of fields()) {
      if (!(el.name in draft)) continue
      if (el.type === 'checkbox' || el.type === 'radio') {
        el.checked = [].concat(draft[el.name]).includes(el.value)
      } else {
        el.value = draft[el.name]
      }
    }
    say(form.dataset.msgRestored)
  }

  restore()
  form.addEventListener('input', save)
  form.addEventListener('change', save)
  form.addEventListener('submit', (event) => {
    if (!navigator.onLine) {
      event.preventDefault()
      save()
      say(form.dataset.msgOffline)
      notice.setAttribute('role', 'alert')
      return
    }
    window.localStorage.removeItem(key)
  })
}
