"""Short news texts in several languages, written for the tests (plain scraped text, one paragraph a line)."""


def _text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


ENGLISH = _text(
    "Council approves new budget for city schools",
    "March 12, 2024",
    "By Anna Smith",
    (
        "The city council on Thursday approved a new budget for public schools, raising spending on "
        "teachers and repairs by almost ten percent, the mayor's office said."
    ),
    (
        "The finance director said the deficit would stay below two percent of the city's revenue. \"We "
        "are keeping the city's finances stable,\" she told reporters after the vote."
    ),
    ("The plan goes to the state board before the end of the month, and members are expected to vote on it in April."),
    "Share this",
)

RUSSIAN = _text(
    "Правительство одобрило новый бюджет на следующий год",
    "12 марта 2024, 14:35",
    "Автор: Анна Смирнова",
    (
        "МОСКВА, 12 марта. Правительство России в четверг одобрило проект федерального бюджета на "
        "следующий год, сообщила пресс-служба кабинета министров. Расходы на здравоохранение вырастут "
        "почти на десять процентов."
    ),
    (
        "По словам министра финансов, дефицит бюджета не превысит двух процентов валового внутреннего "
        "продукта. «Мы сохраняем устойчивость государственных финансов», — заявил министр журналистам "
        "после заседания."
    ),
    ("Документ будет внесён в Государственную думу до конца месяца. Депутаты рассмотрят его в первом чтении в апреле."),
    "Читайте также",
    "Поделиться",
)

ARABIC = _text(
    "الحكومة توافق على خطة جديدة لدعم المزارعين",
    (
        "القاهرة - وافق مجلس الوزراء المصري يوم الأربعاء على خطة جديدة لدعم صغار المزارعين في مواجهة "
        "ارتفاع أسعار الأسمدة، وفقا لبيان رسمي صدر عقب الاجتماع."
    ),
    (
        "وقال وزير الزراعة إن الخطة تشمل قروضا ميسرة وتوزيع بذور محسنة على أكثر من مليون مزارع في "
        "محافظات الصعيد والدلتا."
    ),
    (
        'وأضاف الوزير في مؤتمر صحفي أن "الدولة لن تترك المزارع وحيدا أمام الأزمة"، مشيرا إلى أن التنفيذ '
        "سيبدأ الشهر المقبل."
    ),
)

PERSIAN = _text(
    "دولت بودجه جدید آموزش و پرورش را تصویب کرد",
    (
        "تهران - هیئت دولت روز یکشنبه لایحه بودجه جدید آموزش و پرورش را تصویب کرد و آن را برای بررسی "
        "نهایی به مجلس فرستاد."
    ),
    (
        "وزیر آموزش و پرورش گفت این بودجه ساخت بیش از دو هزار مدرسه تازه در مناطق محروم کشور را ممکن "
        "می‌کند. او افزود که بخشی از این مدارس پیش از آغاز سال تحصیلی آینده آماده خواهند شد و کلاس‌های "
        "درس در روستاهای دورافتاده کوچک‌تر می‌شوند."
    ),
    ("به گفته او، حقوق معلمان نیز از ابتدای سال آینده ده درصد افزایش خواهد یافت و استخدام معلمان تازه ادامه دارد."),
)

FRENCH = _text(
    "Le gouvernement présente un plan pour le logement",
    (
        "Le gouvernement a présenté mercredi un plan de cinq milliards d'euros destiné à relancer la "
        "construction de logements sociaux, a annoncé la ministre lors d'une conférence de presse à "
        "Paris."
    ),
    (
        "« Nous devons construire plus vite et moins cher », a déclaré la ministre, qui espère lancer "
        "cent mille chantiers d'ici la fin de l'année prochaine."
    ),
    ("Les associations de locataires ont salué l'annonce, tout en regrettant l'absence de mesures sur les loyers."),
)

SAMPLES = {"en": ENGLISH, "ru": RUSSIAN, "ar": ARABIC, "fa": PERSIAN, "fr": FRENCH}

# The story of examples/seeds (Washington asks Moscow to keep its written answer secret), told in Russian.
RUSSIAN_SEED_STORY = _text(
    "Вашингтон попросил Москву не публиковать ответ США по гарантиям безопасности",
    (
        "ВАШИНГТОН, 22 января. Американские официальные лица попросили российских коллег не публиковать "
        "письменный ответ Вашингтона на предложения Москвы о гарантиях безопасности, сообщила газета The "
        "Washington Post."
    ),
    (
        "По данным издания, высокопоставленный представитель Государственного департамента признал, что "
        "Кремль может обнародовать документ после того, как США направят его на следующей неделе."
    ),
    (
        "Источники в Госдепартаменте также рассказали газете, что письменный ответ будет содержать "
        "предложения США в сфере безопасности, но не будет включать обязательств относительно политики "
        "открытых дверей НАТО."
    ),
    (
        "В администрации Байдена считают письменный ответ важным, поскольку его сможет прочитать "
        "непосредственно президент России Владимир Путин."
    ),
)
