"""The words the quote finder looks for: speech verbs, pronouns, roles, the heads of unnamed and organisation
speakers."""

from __future__ import annotations

SPEECH_VERBS = {
    "say", "said", "says", "saying", "tell", "told", "tells", "telling", "add", "added", "adds", "adding",
    "note", "noted", "notes", "noting", "acknowledge", "acknowledged", "acknowledges", "state", "stated", "states",
    "announce", "announced", "announces", "warn", "warned", "warns", "claim", "claimed", "claims", "argue",
    "argued", "argues", "insist", "insisted", "insists", "stress", "stressed", "stresses", "explain",
    "explained", "explaining", "explains", "suggest", "suggested", "suggests", "declare", "declared", "declares",
    "write", "wrote", "writes", "comment", "commented", "remark", "remarked", "assert", "asserted", "admit",
    "admitted", "admits", "confirm", "confirmed", "confirms", "deny", "denied", "denies", "emphasize",
    "emphasized", "emphasised", "emphasizes", "reiterate", "reiterated", "reiterates", "predict", "predicted",
    "believe", "believes", "believed", "reply", "replied", "respond", "responded", "ask", "asked", "urge",
    "urged", "quote", "quoted", "quoting", "cite", "cited", "citing", "report", "reported", "reports",
    "complain", "complained", "complains", "recall", "recalled", "continue", "continued", "conclude", "concluded",
    "briefed", "tweeted", "posted", "mentioned", "observed", "pointed", "specified", "clarified",
}
QUOTING_VERBS = {"quote", "quoted", "quoting", "cite", "cited", "citing"}
PRONOUNS = {"he", "she", "they", "him", "her", "i", "we"}
UNNAMED_HEADS = {
    "official", "officials", "source", "sources", "diplomat", "diplomats", "spokesperson", "spokesman",
    "spokeswoman", "aide", "aides", "person", "people", "insider", "insiders", "interlocutor", "officer",
    "representative", "representatives", "member", "members",
}
PERSON_ROLES = {
    "expert", "analyst", "scientist", "minister", "secretary", "president", "premier", "chancellor",
    "ambassador", "leader", "chief", "director", "spokesman", "spokeswoman", "spokesperson", "head",
    "governor", "senator", "mayor", "general", "commander", "economist", "professor", "researcher",
    "politician", "diplomat", "lawmaker", "deputy", "envoy", "adviser", "advisor", "author", "lawyer", "judge",
    "chairman", "chairwoman", "chair", "ceo", "founder", "colonel", "prosecutor", "king", "queen", "pope",
    "correspondent", "reporter", "editor", "politologist", "americanist",
}
ORG_WORDS = {
    "Ministry", "Party", "Agency", "Department", "Council", "Association", "Commission", "Committee", "Company",
    "Corp", "Corp.", "Inc", "Inc.", "University", "Bank", "Office", "Union", "Group", "Institute", "Center",
    "Centre", "Court", "Parliament", "Government", "Administration", "Organization", "Organisation", "Fund",
    "Times", "Post", "News", "Press", "Radio", "Television", "TV", "Service", "Army", "Police", "Federation",
}
MEDIA_HEADS = {"paper", "newspaper", "publication", "agency", "outlet", "daily", "magazine", "broadcaster"}
DOCUMENT_HEADS = {"statement", "document", "response", "text", "report", "letter", "release", "reply", "note"}
ROLE_STOP = {"the", "a", "an", "of", "this", "that", "'s", "’s"}

# reporting verbs in a reporting form: a sentence with one is worth a parse (spans.CANDIDATE)
CUE_VERBS = ["said", "says", "saying", "told", "tells", "telling", "added", "adds", "noted", "notes", "noting", "acknowledged", "acknowledges", "stated", "announced", "announces", "warned", "warns", "claimed", "claims", "argued", "argues", "insisted", "insists", "stressed", "stresses", "explained", "explaining", "suggested", "declared", "declares", "wrote", "writes", "commented", "remarked", "asserted", "admitted", "admits", "confirmed", "confirms", "denied", "denies", "emphasized", "emphasised", "reiterated", "predicted", "believes", "replied", "responded", "urged", "quoted", "quoting", "citing", "cited", "complained", "recalled", "concluded", "briefed", "tweeted", "mentioned"]
