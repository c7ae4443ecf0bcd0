"""E-seal errors, each with a stable code."""

from __future__ import annotations

from typing import ClassVar

from sealhub.esign import faults  # noqa: F401  (the library layer's codes, listed with these)
from sealhub.platform.errors import AppError, Conflict, InvalidTransition, NotFound


class ApplicationNotFound(NotFound):
    code = "esign.application_not_found"
    status = 404
    zh = "电子印章申请不存在"
    en = "E-seal application not found"


class CaNotFound(NotFound):
    code = "esign.ca_not_found"
    status = 404
    zh = "本组织尚未建立电子印章 CA"
    en = "The organisation has no e-seal CA yet"


class CertificateNotFound(NotFound):
    code = "esign.certificate_not_found"
    status = 404
    zh = "印章证书不存在"
    en = "Seal certificate not found"


class SealingNotFound(NotFound):
    code = "esign.sealing_not_found"
    status = 404
    zh = "盖章记录不存在"
    en = "Sealing record not found"


class MaterialNotFound(NotFound):
    code = "esign.material_not_found"
    status = 404
    zh = "证明材料不存在"
    en = "Proof material not found"


class NoSealImage(NotFound):
    code = "esign.no_seal_image"
    status = 404
    zh = "该印章没有有效的电子印章证书及印模"
    en = "This seal has no valid e-seal certificate and image"


class InvalidApplicationTransition(InvalidTransition):
    code = "esign.invalid_transition"
    status = 409
    zh = "电子印章申请当前状态“{current}”不能执行“{action}”"
    en = "An e-seal application in state {current} cannot {action}"


class InvalidCertificateTransition(InvalidTransition):
    code = "esign.certificate_invalid_transition"
    status = 409
    zh = "证书当前状态“{current}”不能执行“{action}”"
    en = "A certificate in state {current} cannot {action}"


class SelfReview(AppError):
    code = "esign.self_review"
    status = 403
    zh = "不能审核自己提交的电子印章申请"
    en = "Nobody reviews their own e-seal application"


class MaterialsMissing(AppError):
    code = "esign.materials_missing"
    status = 422
    zh = "请上传营业执照扫描件和授权书"
    en = "Upload the business licence scan and the authorisation letter"


class BadSealText(AppError):
    code = "esign.bad_seal_text"
    status = 422
    zh = "印章文字不符合要求：{detail}"
    en = "The seal text is not acceptable: {detail}"


class NoValidCertificate(Conflict):
    code = "esign.no_valid_certificate"
    status = 409
    zh = "印章“{seal_name}”没有有效的证书（已吊销或已过期），不能盖章"
    en = "Seal {seal_name} has no valid certificate (revoked or expired): it cannot seal"


class NotElectronic(AppError):
    code = "esign.not_electronic"
    status = 409
    zh = "只有电子印章可以用于电子签章"
    en = "Only electronic seals can seal documents"


class SealNotUsable(Conflict):
    code = "esign.seal_not_usable"
    status = 409
    zh = "印章“{seal_name}”当前不可用"
    en = "Seal {seal_name} is not in use"


class WillingnessFailed(AppError):
    code = "esign.willingness_failed"
    status = 403
    zh = "意愿认证未通过：{reason}"
    en = "The willingness check failed: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "password": ("密码错误", "wrong password"),
        "sms": ("短信验证码错误或已过期", "wrong or expired SMS code"),
        "totp": ("动态口令错误", "wrong one-time password"),
        "totp_off": ("尚未启用动态口令", "one-time passwords are not enabled"),
        "no_phone": ("账号没有手机号", "the account has no phone number"),
    }


class BadPlacement(AppError):
    code = "esign.bad_placement"
    status = 422
    zh = "盖章位置无效：{reason}"
    en = "The seal placement is not valid: {reason}"
    reasons: ClassVar[dict[str, tuple[str, str]]] = {
        "page": ("页码超出文档范围", "the page is outside the document"),
        "keyword": ("文档中找不到关键字", "the keyword does not occur in the document"),
        "box": ("位置超出页面", "the position is outside the page"),
        "pages": ("骑缝章至少需要两页", "a straddle seal needs at least two pages"),
        "document": ("该文档不属于此申请", "the document is not part of this application"),
        "seal": ("该印章不在此申请中", "the seal is not part of this application"),
    }


class NotAPdf(AppError):
    code = "esign.not_pdf"
    status = 422
    zh = "文件不是可读取的 PDF"
    en = "The file is not a readable PDF"


class UnitNotFound(AppError):
    code = "esign.unit_not_found"
    status = 422
    zh = "所属部门不存在"
    en = "The owning organisation unit does not exist"


# the library layer's codes (imaging, keys, pki, pdf) register on import, whichever of its
# modules ran first: docs/api.md and the naming checks read them from this context

# the national formats' library codes (SM2, GB/T 38540 seals, OFD), likewise
from sealhub.esign.gm.errors import GmKeyInvalid as GmKeyInvalid  # noqa: E402
from sealhub.esign.ofd.errors import OfdMalformed as OfdMalformed  # noqa: E402
from sealhub.esign.ses.errors import SesMalformed as SesMalformed  # noqa: E402
