import type { FormItemRule } from 'element-plus'
import { t } from '@/i18n'
import { PASSWORD_RE, PHONE_RE } from './format'

/** Validation rules whose messages follow the current language (build them inside computed()). */
export const rules = {
  required(field: string, trigger: 'blur' | 'change' = 'blur'): FormItemRule {
    return { required: true, message: t('common.required', { field }), trigger, whitespace: true } as FormItemRule
  },
  requiredSelect(field: string): FormItemRule {
    return { required: true, message: t('common.selectField', { field }), trigger: 'change' }
  },
  phone(): FormItemRule[] {
    return [
      { required: true, message: t('validate.phone'), trigger: 'blur' },
      { pattern: PHONE_RE, message: t('validate.phone'), trigger: 'blur' },
    ]
  },
  password(required = true): FormItemRule[] {
    return [
      ...(required ? [{ required: true, message: t('validate.password'), trigger: 'blur' } as FormItemRule] : []),
      { pattern: PASSWORD_RE, message: t('validate.password'), trigger: 'blur' },
    ]
  },
  code(): FormItemRule[] {
    return [
      { required: true, message: t('validate.code'), trigger: 'blur' },
      { pattern: /^\d{4,8}$/, message: t('validate.code'), trigger: 'blur' },
    ]
  },
  max(n: number): FormItemRule {
    return { max: n, message: t('validate.maxLen', { n }), trigger: 'blur' }
  },
}
