// spam_score: the work of filters/spam_score.py, as a Haraka plugin.
//
// The subject, the text body and the HTML body are searched with the same weighted,
// case-insensitive regexes; the message gets X-Spam-Score ("0.0") and, when rules
// matched, X-Spam-Rules (the client's own headers of those names are replaced). A score at
// or above THRESHOLD is refused with 550 5.7.1.

const RULES = [
    [/\b(lottery|jackpot|you have won|winner)\b/i, 3.0, 'lottery'],
    [/\b(viagra|cialis|pharmacy)\b/i, 4.0, 'pharma'],
    [/\b(wire transfer|western union|bank details|beneficiary)\b/i, 2.0, 'money-transfer'],
    [/\b(urgent|act now|limited time|expires today)\b/i, 1.0, 'urgency'],
    [/\bclick (here|below)\b/i, 1.0, 'click-here'],
    [/100% (free|guaranteed)/i, 1.5, 'guarantee'],
    [/\b(bitcoin|crypto) (investment|opportunity)\b/i, 2.0, 'crypto'],
]
const SHOUTING = 1.0
const THRESHOLD = 5.0
const HEADER = 'X-Spam-Score'

exports.register = function () {
    this.register_hook('data', 'want_body')
    this.register_hook('data_post', 'score')
}

// Have Haraka parse the MIME structure, so the decoded text and HTML parts are at hand.
exports.want_body = function (next, connection) {
    connection.transaction.parse_body = true
    next()
}

// The decoded text/plain and text/html parts of a parsed body, concatenated.
function texts(body, out) {
    if (/^text\/html/i.test(body.ct || '')) out.html += body.bodytext
    else if (/^text\//i.test(body.ct || 'text/plain')) out.text += body.bodytext
    for (const child of body.children) texts(child, out)
    return out
}

exports.score = function (next, connection) {
    const txn = connection.transaction
    const subject = (txn.header.get_decoded('Subject') || '').trim()
    const parts = texts(txn.body, { text: '', html: '' })
    const text = `${subject}\n${parts.text}\n${parts.html}`
    let total = 0
    const hits = []
    for (const [pattern, weight, name] of RULES) {
        if (pattern.test(text)) {
            total += weight
            hits.push(name)
        }
    }
    const letters = subject.match(/\p{L}/gu) || []
    if (letters.length >= 8 && subject.toUpperCase() === subject) {
        total += SHOUTING
        hits.push('shouting-subject')
    }
    txn.remove_header(HEADER)
    txn.add_header(HEADER, total.toFixed(1))
    txn.remove_header('X-Spam-Rules')
    if (hits.length) txn.add_header('X-Spam-Rules', hits.join(', '))
    if (total >= THRESHOLD) return next(DENY, '5.7.1 Message looks like spam')
    next()
}
