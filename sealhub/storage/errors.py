"""Storage and upload errors, each with a stable code."""

from __future__ import annotations

from sealhub.platform.errors import AppError, NotFound, UnsupportedFile


class BlobNotFound(LookupError):
    """Raised by a backend when a key holds no blob (a port-level fault, not shown to users)."""


class ObjectNotFound(NotFound):
    code = "storage.object_not_found"
    status = 404
    zh = "文件不存在"
    en = "File not found"


class IntegrityFailed(AppError):
    # The stored bytes no longer match their recorded hash or cannot be decrypted:
    # the object conflicts with its own record, so 409 rather than a 500 "bug".
    code = "storage.integrity"
    status = 409
    zh = "文件校验失败，内容可能已被篡改"
    en = "File integrity check failed; the content may have been tampered with"


class DataMissing(AppError):
    code = "storage.data_missing"
    status = 410
    zh = "文件内容已不存在"
    en = "The file content is no longer available"


class ConcurrentUpload(AppError):
    code = "storage.concurrent_upload"
    status = 409
    zh = "同一文件正在被同时上传，请重试"
    en = "The same file is being uploaded concurrently; please retry"


class EmptyFile(UnsupportedFile):
    code = "upload.empty"
    status = 422
    zh = "文件为空"
    en = "The file is empty"


class NotPdf(UnsupportedFile):
    code = "upload.not_pdf"
    status = 415
    zh = "文件扩展名为 .pdf，但内容不是 PDF"
    en = "The file is named .pdf but its content is not a PDF"


class EncryptedPdf(UnsupportedFile):
    code = "upload.encrypted_pdf"
    status = 415
    zh = "PDF 已加密或设有密码，请上传未加密的文件"
    en = "The PDF is encrypted or password-protected; upload an unencrypted file"


class CorruptPdf(UnsupportedFile):
    code = "upload.corrupt_pdf"
    status = 415
    zh = "PDF 文件已损坏或不完整"
    en = "The PDF is corrupt or incomplete"


class NotImage(UnsupportedFile):
    code = "upload.not_image"
    status = 415
    zh = "文件不是有效的 PNG、JPEG 或 WebP 图片"
    en = "The file is not a valid PNG, JPEG or WebP image"


class ImageTooLarge(UnsupportedFile):
    code = "upload.image_too_large"
    status = 413
    zh = "图片像素过多（上限 {limit} 像素）"
    en = "The image has too many pixels (limit {limit})"


class UnknownType(UnsupportedFile):
    code = "upload.unknown_type"
    status = 415
    zh = "无法识别的文件类型，仅支持 PDF 和 PNG/JPEG/WebP 图片"
    en = "Unrecognised file type; only PDF and PNG/JPEG/WebP images are accepted"


class TypeNotAllowed(UnsupportedFile):
    code = "upload.type_not_allowed"
    status = 415
    zh = "此处不接受该类型的文件（{kind}）"
    en = "This kind of file ({kind}) is not accepted here"


class ImageSideTooLarge(AppError):
    code = "upload.image_side_too_large"
    status = 422
    zh = "图片尺寸过大（{width}×{height}），最大 {limit}×{limit} 像素"
    en = "The image is {width}×{height} pixels; at most {limit}×{limit}"
