// Saves a rating form in the background a moment after the person stops typing.
// The server answers 409 when someone else saved the element first: then the page
// reloads with their version and a message, so nothing is overwritten silently.
const DELAY_MS = 1500

for (const form of document.querySelectorAll('form[data-autosave]')) {
  const status = form.querySelector('[data-autosave-status]')
  const version = form.querySelector('input[name="version"]')
  let timer = null
  let pending = false

  const say = (text) => { if (status) status.textContent = text }

  const save = async () => {
    pending = false
    say(form.dataset.msgSaving)
    try {
      const response = await fetch(form.action || window.location.href, {
        method: 'POST',
        body: new FormData(form),
        headers: { Accept: 'application/json' },
        credentials: 'same-origin'
      })
      if (response.status === 409) {
        form.submit()
        return
      }
      if (!response.ok) {
        say(form.dataset.msgFailed)
        return
      }
      const data = await response.json()
      version.value = data.version
      say(`${form.dataset.msgSaved} ${new Date(data.saved_at).toLocaleTimeString()}`)
    } catch (error) {
      pending = true
      say(form.dataset.msgOffline)
    }
  }

  const schedule = () => {
    clearTimeout(timer)
    timer = setTimeout(save, DELAY_MS)
  }

  form.addEventListener('input', schedule)
  form.addEventListener('change', schedule)
  window.addEventListener('online', () => { if (pending) save() })
}
