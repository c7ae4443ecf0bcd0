import { defineModule } from './index'

/** Inspection: stamped-page photos compared with the approved pages (shown in the request drawer). */
export default defineModule({
  messages: {
    'zh-CN': {
      inspection: {
        title: '盖章页检查',
        refresh: '刷新',
        report: '检查报告（PDF）',
        none: '暂无检查结果',
        pending: '检查中…',
        page: '对应第 {n} 页',
        similarity: '相似度 {v}%',
        photo: '盖章照片（已校正）',
        original: '审批文件原页',
        kind: { changed: '改动', inserted: '多出', deleted: '缺失' },
        problem: {
          too_dark: '照片过暗',
          no_contrast: '照片无内容',
          low_confidence: '文字无法辨认',
          not_a_document: '不是文件照片',
          not_an_image: '无法打开的图片',
        },
      },
    },
    en: {
      inspection: {
        title: 'Stamped-page inspection',
        refresh: 'Refresh',
        report: 'Inspection report (PDF)',
        none: 'No inspection results yet',
        pending: 'Inspecting…',
        page: 'Page {n}',
        similarity: 'Similarity {v}%',
        photo: 'Photo (straightened)',
        original: 'Approved page',
        kind: { changed: 'Changed', inserted: 'Added', deleted: 'Missing' },
        problem: {
          too_dark: 'Too dark',
          no_contrast: 'Nothing on the photo',
          low_confidence: 'Text not legible',
          not_a_document: 'Not a document',
          not_an_image: 'Not an image',
        },
      },
    },
  },
})
